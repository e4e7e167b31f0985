// The real HostProbe: measures this host's KVM with probe-loop VMs.
#pragma once

#include <memory>
#include <optional>

#include "vmm/doctor.h"
#include "vmm/kvm.h"

namespace vmrr {

class KvmHostProbe : public HostProbe {
 public:
  std::string Arch() override;
  std::string KernelRelease() override;
  int OpenKvm() override;
  std::vector<std::pair<std::string, int>> Capabilities() override;
  std::vector<uint64_t> CountPasses(CounterEvent event, uint64_t n, int passes) override;
  std::optional<OverflowStop> StopByOverflow(CounterEvent event, uint64_t n,
                                             uint64_t period) override;
  StepResult SingleStep(CounterEvent event, int steps) override;
  StepResult OverflowStep(CounterEvent event, int steps) override;
  proto::RunToPointProbe RunToPoints(CounterEvent event, bool single_step, uint64_t margin,
                                     const std::vector<uint64_t>& targets) override;
  bool HostTimeControl(std::string* note) override;

 private:
  std::optional<KvmSystem> kvm_;
};

}  // namespace vmrr
