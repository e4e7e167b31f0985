#include "vmm/kvm.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace vmrr {

KvmSystem KvmSystem::Open(const std::string& path) {
  KvmSystem kvm;
  kvm.fd_ = UniqueFd(open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!kvm.fd_.valid()) {
    int err = errno;
    throw Error(ErrorKind::kUnsupported, "cannot open " + path + ": " + std::strerror(err) +
                                             (err == ENOENT ? " (no KVM on this host)" : ""));
  }
  kvm.api_version_ = ioctl(kvm.fd(), KVM_GET_API_VERSION, 0);
  if (kvm.api_version_ != KVM_API_VERSION) {
    throw Error(ErrorKind::kUnsupported,
                "KVM API version " + std::to_string(kvm.api_version_) + ", need 12");
  }
  int size = ioctl(kvm.fd(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (size <= 0) ThrowErrno("KVM_GET_VCPU_MMAP_SIZE");
  kvm.vcpu_mmap_size_ = static_cast<size_t>(size);
  return kvm;
}

int KvmSystem::CheckExtension(long cap) const {
  int r = ioctl(fd(), KVM_CHECK_EXTENSION, cap);
  return r < 0 ? 0 : r;
}

KvmVm KvmVm::Create(const KvmSystem& kvm, unsigned long type) {
  KvmVm vm;
  int fd;
  do {
    fd = ioctl(kvm.fd(), KVM_CREATE_VM, type);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) ThrowErrno("KVM_CREATE_VM");
  vm.fd_ = UniqueFd(fd);
  vm.vcpu_mmap_size_ = kvm.vcpu_mmap_size();
  return vm;
}

int KvmVm::CheckExtension(long cap) const {
  int r = ioctl(fd(), KVM_CHECK_EXTENSION, cap);
  return r < 0 ? 0 : r;
}

void KvmVm::SetUserMemoryRegion(uint32_t slot, uint64_t gpa, void* host, uint64_t size,
                                uint32_t flags) {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.flags = flags;
  region.guest_phys_addr = gpa;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<uint64_t>(host);
  if (ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region) < 0) {
    ThrowErrno("KVM_SET_USER_MEMORY_REGION slot " + std::to_string(slot));
  }
}

void KvmVm::GetDirtyLog(uint32_t slot, std::vector<uint64_t>& bitmap) const {
  kvm_dirty_log log{};
  log.slot = slot;
  log.dirty_bitmap = bitmap.data();
  if (ioctl(fd(), KVM_GET_DIRTY_LOG, &log) < 0) ThrowErrno("KVM_GET_DIRTY_LOG");
}

KvmVcpu KvmVcpu::Create(const KvmVm& vm, int id) {
  KvmVcpu vcpu;
  int fd = ioctl(vm.fd(), KVM_CREATE_VCPU, id);
  if (fd < 0) ThrowErrno("KVM_CREATE_VCPU " + std::to_string(id));
  vcpu.fd_ = UniqueFd(fd);
  vcpu.run_map_ = Mapping::Shared(fd, vm.vcpu_mmap_size());
  return vcpu;
}

bool KvmVcpu::Run() {
  if (ioctl(fd(), KVM_RUN, 0) == 0) return true;
  if (errno == EINTR) return false;
  ThrowErrno("KVM_RUN");
}

uint64_t KvmVcpu::GetOneReg(uint64_t id) const {
  uint64_t value = 0;
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  if (ioctl(fd(), KVM_GET_ONE_REG, &reg) < 0) ThrowErrno("KVM_GET_ONE_REG");
  return value;
}

void KvmVcpu::SetOneReg(uint64_t id, uint64_t value) {
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  if (ioctl(fd(), KVM_SET_ONE_REG, &reg) < 0) ThrowErrno("KVM_SET_ONE_REG");
}

std::optional<uint64_t> KvmVcpu::TryGetOneReg(uint64_t id) const {
  uint64_t value = 0;
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  if (ioctl(fd(), KVM_GET_ONE_REG, &reg) < 0) return std::nullopt;
  return value;
}

bool KvmVcpu::TrySetOneReg(uint64_t id, uint64_t value) {
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  return ioctl(fd(), KVM_SET_ONE_REG, &reg) == 0;
}

#if defined(__riscv)
// riscv's kvm_guest_debug_arch is an empty struct: 0 bytes in C, 1 in C++,
// and the argument's size is part of the ioctl number (C++'s is refused
// with EINVAL).  The kernel's layout: control, pad, nothing else.
struct SetGuestDebugArgument {
  uint32_t control = 0;
  uint32_t pad = 0;
};
constexpr unsigned long kSetGuestDebug = _IOW(KVMIO, 0x9b, SetGuestDebugArgument);
#else
using SetGuestDebugArgument = kvm_guest_debug;
constexpr unsigned long kSetGuestDebug = KVM_SET_GUEST_DEBUG;
#endif

void KvmVcpu::SetGuestDebug(uint32_t control) {
  SetGuestDebugArgument debug{};
  debug.control = control;
  if (ioctl(fd(), kSetGuestDebug, &debug) < 0) ThrowErrno("KVM_SET_GUEST_DEBUG");
}

size_t RegisterSize(uint64_t id) {
  return size_t{1} << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

std::vector<uint64_t> KvmVcpu::RegisterList() const {
  kvm_reg_list probe{};
  // The first call fails with E2BIG and says how many there are.
  if (ioctl(fd(), KVM_GET_REG_LIST, &probe) == 0) return {};
  if (errno != E2BIG) ThrowErrno("KVM_GET_REG_LIST");
  std::vector<uint64_t> buffer(probe.n + 1);
  auto* list = reinterpret_cast<kvm_reg_list*>(buffer.data());
  list->n = probe.n;
  if (ioctl(fd(), KVM_GET_REG_LIST, list) < 0) ThrowErrno("KVM_GET_REG_LIST");
  return std::vector<uint64_t>(buffer.begin() + 1, buffer.begin() + 1 + list->n);
}

std::vector<uint8_t> KvmVcpu::GetRegisterBytes(uint64_t id) const {
  std::vector<uint8_t> bytes(RegisterSize(id));
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(bytes.data())};
  if (ioctl(fd(), KVM_GET_ONE_REG, &reg) < 0) {
    ThrowErrno("KVM_GET_ONE_REG " + std::to_string(id));
  }
  return bytes;
}

void KvmVcpu::SetRegisterBytes(uint64_t id, const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> copy = bytes;
  copy.resize(RegisterSize(id));
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(copy.data())};
  if (ioctl(fd(), KVM_SET_ONE_REG, &reg) < 0) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%#llx", static_cast<unsigned long long>(id));
    ThrowErrno(std::string("KVM_SET_ONE_REG ") + hex);
  }
}

uint32_t KvmVcpu::GetMpState() const {
  kvm_mp_state state{};
  if (ioctl(fd(), KVM_GET_MP_STATE, &state) < 0) ThrowErrno("KVM_GET_MP_STATE");
  return state.mp_state;
}

void KvmVcpu::SetMpState(uint32_t mp_state) {
  kvm_mp_state state{mp_state};
  if (ioctl(fd(), KVM_SET_MP_STATE, &state) < 0) ThrowErrno("KVM_SET_MP_STATE");
}

std::string ExitReasonName(uint32_t reason) {
  switch (reason) {
    case KVM_EXIT_UNKNOWN:
      return "UNKNOWN";
    case KVM_EXIT_EXCEPTION:
      return "EXCEPTION";
    case KVM_EXIT_IO:
      return "IO";
    case KVM_EXIT_DEBUG:
      return "DEBUG";
    case KVM_EXIT_HLT:
      return "HLT";
    case KVM_EXIT_MMIO:
      return "MMIO";
    case KVM_EXIT_SHUTDOWN:
      return "SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY:
      return "FAIL_ENTRY";
    case KVM_EXIT_INTR:
      return "INTR";
    case KVM_EXIT_INTERNAL_ERROR:
      return "INTERNAL_ERROR";
    case KVM_EXIT_SYSTEM_EVENT:
      return "SYSTEM_EVENT";
    case KVM_EXIT_RISCV_SBI:
      return "RISCV_SBI";
    case KVM_EXIT_RISCV_CSR:
      return "RISCV_CSR";
    case KVM_EXIT_ARM_NISV:
      return "ARM_NISV";
    default:
      return "exit " + std::to_string(reason);
  }
}

}  // namespace vmrr
