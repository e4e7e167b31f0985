// Every value of a trace checked against its range before replay uses it,
// so that a hostile or careless edit ends as "corrupt" (Error(kInput),
// exit 2) naming the field or the event, never as a KVM error or a crash.
// The ranges are written next to the fields in proto/trace.proto; this is
// where they are enforced.  Pure code: the header and boot regions are
// checked once, before replay makes its first KVM call; each event as it is
// read (ValidatedEvents).  What the host adds (its RAM) comes in HostLimits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "proto/trace.pb.h"
#include "replay/event_source.h"
#include "replay/guest_limits.h"
#include "replay/trace_reader.h"

namespace vmrr {

// A header's repeated fields: far above what vmrr writes, far below harm.
inline constexpr int kMaxCpuRegisters = 64;
inline constexpr int kMaxWarnings = 64;
inline constexpr size_t kMaxHeaderString = 4096;
inline constexpr uint32_t kMaxBootRegionRecords = 1 << 16;

// What each architecture's machine has (vmm/<arch>/layout.h; vmm's
// trace_limits_test checks that they agree).
struct ArchFacts {
  const char* arch;
  uint64_t ram_base;
  // Device lines 0..device_lines-1 (arm64: the vGIC's SPIs); or, with
  // lines_per_cpu, line n is vCPU n's external interrupt (riscv64).
  uint32_t device_lines;
  bool lines_per_cpu;
  // Timer lines kTimerLineBase + timers_per_cpu * cpu + k.
  uint32_t timers_per_cpu;
};

// Null for an architecture vmrr does not know.
const ArchFacts* FindArch(const std::string& arch);
bool ValidInterruptLine(const ArchFacts& arch, uint32_t cpus, uint32_t line);
// "SPIs 0-63 and timer lines 0x10000-0x10001", for messages.
std::string DescribeInterruptLines(const ArchFacts& arch, uint32_t cpus);

// What this host gives a replay (vmm fills it in).  The defaults check the
// trace alone (vmrr inspect, the mutation test).
struct HostLimits {
  uint64_t ram_bytes = kMaxGuestMemBytes;  // guest RAM this host can back
};

// Checks the header, the boot regions and the end record (if any).  Throws
// Error(kInput) "<trace> is corrupt: <field> = <value> (<its range>)", or
// Error(kUnsupported) when the trace needs more than `host` has.
void ValidateTrace(const TraceReader& reader, const HostLimits& host = {});

// "" or why event number `index` is outside its ranges in the machine
// `header` describes (a header ValidateTrace accepted).
std::string CheckEvent(const proto::Event& event, uint64_t index, const proto::TraceHeader& header);

// A system call (KVM) or an internal check that failed while replaying
// event `index` (`event`, if known) of a trace that passed validation: a
// vmrr bug, Error(kInternal) naming the event.
Error VmrrBugInReplay(const std::string& trace, uint64_t index, const proto::Event* event,
                      const std::string& what);

// A trace's events, each checked with CheckEvent as it is read: a bad one
// is Error(kInput) "<trace> is corrupt: event N (...): why".
class ValidatedEvents : public EventSource {
 public:
  explicit ValidatedEvents(TraceReader& reader) : reader_(reader) {}
  bool Next(proto::Event* event) override;
  const proto::TraceEnd* End() override { return reader_.End(); }
  void Seek(uint64_t index) override;

 private:
  TraceReader& reader_;
  uint64_t next_ = 0;
};

}  // namespace vmrr
