// RAII wrappers for the KVM objects vmrr uses: the system (/dev/kvm), a VM and
// its vCPUs.  Architecture-neutral: only <linux/kvm.h>'s generic API.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/mapping.h"
#include "base/unique_fd.h"

namespace vmrr {

class KvmSystem {
 public:
  // Opens /dev/kvm (or `path`); throws Error(kUnsupported) when it is absent
  // or its API version is not 12.
  static KvmSystem Open(const std::string& path = "/dev/kvm");

  int api_version() const { return api_version_; }
  // KVM_CHECK_EXTENSION on /dev/kvm: 0 when absent, else the cap's value.
  int CheckExtension(long cap) const;
  size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  int api_version_ = 0;
  size_t vcpu_mmap_size_ = 0;
};

class KvmVm {
 public:
  // KVM_CREATE_VM with the given machine type (arm64: IPA size; 0 = default).
  static KvmVm Create(const KvmSystem& kvm, unsigned long type = 0);

  int CheckExtension(long cap) const;
  // Maps `size` bytes at `host` to guest physical `gpa` in memory slot `slot`.
  void SetUserMemoryRegion(uint32_t slot, uint64_t gpa, void* host, uint64_t size,
                           uint32_t flags = 0);
  // KVM_GET_DIRTY_LOG: one bit per page of the slot, cleared by the call.
  void GetDirtyLog(uint32_t slot, std::vector<uint64_t>& bitmap) const;
  int fd() const { return fd_.get(); }
  size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }

 private:
  UniqueFd fd_;
  size_t vcpu_mmap_size_ = 0;
};

// What the run loop needs of a vCPU: KvmVcpu, or a fake in tests.
class RunnableVcpu {
 public:
  virtual ~RunnableVcpu() = default;
  // One KVM_RUN.  Returns false when it was interrupted by a signal (EINTR),
  // true when the vCPU exited with run()->exit_reason set.
  virtual bool Run() = 0;
  virtual kvm_run* run() const = 0;
};

class KvmVcpu : public RunnableVcpu {
 public:
  static KvmVcpu Create(const KvmVm& vm, int id);

  bool Run() override;
  kvm_run* run() const override { return static_cast<kvm_run*>(run_map_.data()); }

  uint64_t GetOneReg(uint64_t id) const;
  void SetOneReg(uint64_t id, uint64_t value);
  // For registers a host may lack or refuse: nullopt / false (errno set).
  std::optional<uint64_t> TryGetOneReg(uint64_t id) const;
  bool TrySetOneReg(uint64_t id, uint64_t value);
  void SetGuestDebug(uint32_t control);
  // Every register KVM_GET/SET_ONE_REG knows for this vCPU (KVM_GET_REG_LIST).
  std::vector<uint64_t> RegisterList() const;
  // A register of any size (KVM_REG_SIZE in its id): its bytes.
  std::vector<uint8_t> GetRegisterBytes(uint64_t id) const;
  void SetRegisterBytes(uint64_t id, const std::vector<uint8_t>& bytes);
  // KVM_GET/SET_MP_STATE (runnable, stopped, ...).
  uint32_t GetMpState() const;
  void SetMpState(uint32_t state);
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  Mapping run_map_;
};

// The size in bytes of a ONE_REG register, from its id.
size_t RegisterSize(uint64_t id);

// A readable name for a KVM exit reason ("MMIO", "DEBUG", ...).
std::string ExitReasonName(uint32_t reason);

}  // namespace vmrr
