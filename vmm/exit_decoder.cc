#include "vmm/exit_decoder.h"

#include <string>

#include "devices/mmio_access.h"
#include "vmm/kvm.h"

namespace vmrr {

VcpuStop DecodeExit(const ArchExits& arch, const kvm_run& run) {
  VcpuStop stop;
  switch (run.exit_reason) {
    case KVM_EXIT_MMIO:
      stop.kind = VcpuStop::Kind::kMmio;
      stop.gpa = run.mmio.phys_addr;
      stop.len = run.mmio.len;
      stop.is_write = run.mmio.is_write != 0;
      if (stop.is_write && stop.len <= 8) stop.write_value = LoadLe(run.mmio.data, stop.len);
      return stop;
    case KVM_EXIT_SYSTEM_EVENT:
      switch (run.system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
          stop.kind = VcpuStop::Kind::kPowerOff;
          return stop;
        case KVM_SYSTEM_EVENT_RESET:
          stop.kind = VcpuStop::Kind::kReset;
          return stop;
        case KVM_SYSTEM_EVENT_CRASH:
          stop.kind = VcpuStop::Kind::kCrash;
          stop.detail = "the guest reported a crash";
          return stop;
        default:
          stop.kind = VcpuStop::Kind::kCrash;
          stop.detail = "unhandled system event " + std::to_string(run.system_event.type);
          return stop;
      }
    case KVM_EXIT_INTR:
      return stop;  // kInterrupted
    case KVM_EXIT_DEBUG:
      stop.kind = VcpuStop::Kind::kDebug;
      return stop;
    case KVM_EXIT_FAIL_ENTRY:
      stop.kind = VcpuStop::Kind::kCrash;
      stop.detail = "KVM could not enter the guest (hardware reason " +
                    std::to_string(run.fail_entry.hardware_entry_failure_reason) + ")";
      return stop;
    case KVM_EXIT_INTERNAL_ERROR:
      stop.kind = VcpuStop::Kind::kCrash;
      stop.detail = "KVM internal error, suberror " + std::to_string(run.internal.suberror);
      return stop;
    default:
      if (std::optional<VcpuStop> own = arch.Decode(run)) return *own;
      stop.kind = VcpuStop::Kind::kCrash;
      stop.detail = "unexpected KVM exit " + ExitReasonName(run.exit_reason);
      return stop;
  }
}

}  // namespace vmrr
