// The header of a trace `vmrr record` writes: what was recorded, on what,
// how (the VM, the boot files' digests, the host, the counter, guest time,
// the CPU identification the guest saw), and the names record gives.
#pragma once

#include <ctime>
#include <string>

#include "proto/trace.pb.h"
#include "vmm/guest_platform.h"
#include "vmm/recorded_time.h"
#include "vmm/run_loop.h"
#include "vmm/run_options.h"

namespace vmrr {

// `time` null: best-effort (the host's KVM keeps guest time).
proto::TraceHeader MakeHeader(const RunOptions& run, GuestMachine& machine, const BootFiles& files,
                              const BootImage& boot, CounterEvent counter,
                              const RecordedTime* time);

// The trace's end reason for an outcome ("poweroff", "timeout", ...).
std::string EndReason(GuestExit exit);

// The default trace name for a kernel path and a time: "Image-20261121-153000.vmrr".
std::string DefaultTraceName(const std::string& kernel_path, std::time_t when);

}  // namespace vmrr
