// `vmrr inspect`: a summary of a trace: its header, events by kind,
// instructions and host time covered, and a per-second timeline.
#pragma once

#include <string>

#include "proto/inspect.pb.h"

namespace vmrr {

// Reads the whole trace; throws Error(kInput) when it is not a readable trace.
proto::TraceInspection InspectTrace(const std::string& path);

std::string RenderInspectionHuman(const proto::TraceInspection& inspection);
std::string RenderInspectionJson(const proto::TraceInspection& inspection);

}  // namespace vmrr
