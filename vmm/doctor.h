// `vmrr doctor`: can this host record deterministically?  The measurements
// come from a HostProbe (the real one drives KVM; tests use fakes); the
// probing plan and the verdict are pure logic here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/host.pb.h"
#include "vmm/guest_counter.h"

namespace vmrr {

struct OverflowStop {
  uint64_t count = 0;   // counter value when KVM_RUN returned
  int64_t retired = 0;  // instructions retired, derived from PC and registers
};

struct StepResult {
  bool supported = false;
  uint32_t tried = 0;
  uint32_t exact = 0;
  std::string note;
};

class HostProbe {
 public:
  virtual ~HostProbe() = default;
  virtual std::string Arch() = 0;
  virtual std::string KernelRelease() = 0;
  // Opens KVM; throws Error(kUnsupported) when there is none.
  virtual int OpenKvm() = 0;
  virtual std::vector<std::pair<std::string, int>> Capabilities() = 0;
  // Runs the probe loop (probe_loop.h) with `n` iterations for 1 + `passes`
  // passes in a fresh VM and returns the guest count of each repeated pass.
  // Throws Error(kUnsupported) when the event cannot be opened.
  virtual std::vector<uint64_t> CountPasses(CounterEvent event, uint64_t n, int passes) = 0;
  // Starts a fresh loop with `n` iterations, arms an overflow after `period`
  // guest events; nullopt when KVM_RUN was not stopped by it.
  virtual std::optional<OverflowStop> StopByOverflow(CounterEvent event, uint64_t n,
                                                     uint64_t period) = 0;
  // KVM single-step: `steps` steps from the loop start, counting each.
  virtual StepResult SingleStep(CounterEvent event, int steps) = 0;
  // Overflow after every single guest event, `steps` times.
  virtual StepResult OverflowStep(CounterEvent event, int steps) = 0;
  // Stops a fresh loop at each target with RunToPoint and `margin`, stepping
  // with single-step or period-1 overflow; checks each stop against PC and
  // registers.
  virtual proto::RunToPointProbe RunToPoints(CounterEvent event, bool single_step, uint64_t margin,
                                             const std::vector<uint64_t>& targets) = 0;
  // Whether the host KVM hands guest time to the VMM (the opt-in host patch).
  virtual bool HostTimeControl(std::string* note) = 0;
};

struct DoctorPlan {
  uint64_t loop_iterations = 1000;
  int passes = 20;
  uint64_t overflow_loop_iterations = 100'000'000;
  std::vector<uint64_t> overflow_periods = {1'000, 100'000, 1'000'003};
  int steps = 10;
  // Run-to-point check: stops at these counts with a large forced margin
  // (period-1 overflow steps are slow in the rig, so that margin is smaller).
  std::vector<uint64_t> run_to_point_targets = {123'457, 400'001, 777'777};
  uint64_t single_step_margin = 10'000;
  uint64_t overflow_step_margin = 100;
  // Skid larger than this cannot be finished by stepping in reasonable time.
  int64_t max_usable_skid = 100'000;
};

proto::HostReport RunDoctor(HostProbe& probe, const DoctorPlan& plan = {});

// Fills chosen_event, verdict, reasons and exit_code from the measurements.
void Decide(proto::HostReport* report, const DoctorPlan& plan = {});

std::string RenderHuman(const proto::HostReport& report);
std::string RenderJson(const proto::HostReport& report);

}  // namespace vmrr
