// `vmrr inspect`: a summary of a trace: its header, events by kind,
// instructions and host time covered, and a per-second timeline.
#pragma once

#include <cstdint>
#include <string>

#include "proto/inspect.pb.h"

namespace vmrr {

// Reads and validates the whole trace (replay/trace_validation.h, without a
// host's limits); throws Error(kInput) when it is not a usable trace.
proto::TraceInspection InspectTrace(const std::string& path);

std::string RenderInspectionHuman(const proto::TraceInspection& inspection);
std::string RenderInspectionJson(const proto::TraceInspection& inspection);

// Events number `first` to `last` (inclusive) of a trace, one per line:
// index, point, and the event (device data shortened).  Not validated: it
// shows the event a "corrupt" error names.
std::string RenderEvents(const std::string& path, uint64_t first, uint64_t last);

}  // namespace vmrr
