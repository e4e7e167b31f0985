// `vmrr inspect`: a summary of a trace: its header, events by kind,
// instructions and host time covered, and a per-second timeline.
#pragma once

#include <cstdint>
#include <string>

#include "proto/inspect.pb.h"

namespace vmrr {

// Reads the whole trace; throws Error(kInput) when it is not a readable trace.
proto::TraceInspection InspectTrace(const std::string& path);

std::string RenderInspectionHuman(const proto::TraceInspection& inspection);
std::string RenderInspectionJson(const proto::TraceInspection& inspection);

// Events number `first` to `last` (inclusive) of a trace, one per line:
// index, point, and the event (device data shortened).
std::string RenderEvents(const std::string& path, uint64_t first, uint64_t last);

}  // namespace vmrr
