// Exits decoded once for run, record and replay: the generic ones, and each
// architecture's own (built and tested on any host: only <linux/kvm.h>).
#include "vmm/exit_decoder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "vmm/arm64/exits.h"
#include "vmm/riscv64/exits.h"

namespace vmrr {
namespace {

class NoArchExits : public ArchExits {
 public:
  std::optional<VcpuStop> Decode(const kvm_run&) const override { return std::nullopt; }
  void CompleteHypercall(kvm_run&, const std::vector<uint64_t>&) const override {}
  void CompleteClockRead(kvm_run&, uint64_t) const override {}
  std::vector<uint64_t> AnswerHypercall(kvm_run&) override { return {}; }
  TimerAccess AccessTimer(kvm_run&, const std::function<uint64_t()>&) override { return {}; }
  uint32_t timer_count() const override { return 0; }
};

TEST(ExitDecoder, GenericExits) {
  NoArchExits none;
  kvm_run run{};
  run.exit_reason = KVM_EXIT_MMIO;
  run.mmio.phys_addr = 0x9000000;
  run.mmio.len = 4;
  run.mmio.is_write = 1;
  const uint8_t bytes[4] = {0x78, 0x56, 0x34, 0x12};
  std::memcpy(run.mmio.data, bytes, 4);
  VcpuStop stop = DecodeExit(none, run);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kMmio);
  EXPECT_EQ(stop.gpa, 0x9000000u);
  EXPECT_TRUE(stop.is_write);
  EXPECT_EQ(stop.write_value, 0x12345678u);

  run = {};
  run.exit_reason = KVM_EXIT_SYSTEM_EVENT;
  for (auto [type, kind] : {std::pair{KVM_SYSTEM_EVENT_SHUTDOWN, VcpuStop::Kind::kPowerOff},
                            std::pair{KVM_SYSTEM_EVENT_RESET, VcpuStop::Kind::kReset},
                            std::pair{KVM_SYSTEM_EVENT_CRASH, VcpuStop::Kind::kCrash}}) {
    run.system_event.type = type;
    EXPECT_EQ(DecodeExit(none, run).kind, kind);
  }
  run.exit_reason = KVM_EXIT_INTR;
  EXPECT_EQ(DecodeExit(none, run).kind, VcpuStop::Kind::kInterrupted);
  run.exit_reason = KVM_EXIT_DEBUG;
  EXPECT_EQ(DecodeExit(none, run).kind, VcpuStop::Kind::kDebug);
  run.exit_reason = KVM_EXIT_FAIL_ENTRY;
  run.fail_entry.hardware_entry_failure_reason = 7;
  stop = DecodeExit(none, run);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kCrash);
  EXPECT_NE(stop.detail.find("reason 7"), std::string::npos) << stop.detail;
  run.exit_reason = KVM_EXIT_S390_SIEIC;  // nobody's
  stop = DecodeExit(none, run);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kCrash);
  EXPECT_NE(stop.detail.find("unexpected KVM exit"), std::string::npos) << stop.detail;
}

kvm_run Sysreg(uint64_t reg, bool write, uint64_t value = 0) {
  kvm_run run{};
  run.exit_reason = arm64::kExitArmSysreg;
  uint8_t* u = reinterpret_cast<uint8_t*>(&run.mmio);
  std::memcpy(u, &reg, 8);
  std::memcpy(u + 8, &value, 8);
  u[16] = write ? 1 : 0;
  return run;
}

TEST(ExitDecoder, Arm64TimeExitsOnlyWhenVmrrOwnsTime) {
  using arm64::SysRegId;
  arm64::Arm64Exits owned(true), stock(false);
  kvm_run cntvct = Sysreg(SysRegId(3, 3, 14, 0, 2), false);
  VcpuStop stop = DecodeExit(owned, cntvct);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kClockRead);
  EXPECT_EQ(stop.function, static_cast<uint64_t>(ClockCounter::kTime));
  EXPECT_EQ(DecodeExit(stock, cntvct).kind, VcpuStop::Kind::kCrash);
  owned.CompleteClockRead(cntvct, 0xabcdef);
  EXPECT_EQ(arm64::ParseSysregExit(cntvct)->value, 0xabcdefu);

  // CNTV_CVAL_EL0 written: a timer access recorded with the write bit.
  kvm_run cval = Sysreg(SysRegId(3, 3, 14, 3, 2), true, 5000);
  stop = DecodeExit(owned, cval);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kTimer);
  EXPECT_EQ(stop.function, SysRegId(3, 3, 14, 3, 2) | arm64::Arm64Exits::kWriteBit);
  ArchExits::TimerAccess access = owned.AccessTimer(cval, [] { return uint64_t{1000}; });
  EXPECT_EQ(access.timer, 0u);
  EXPECT_FALSE(access.deadline.has_value());  // not enabled yet
  // CNTV_CTL_EL0 = ENABLE: the deadline is CVAL; the physical timer is timer 1.
  kvm_run ctl = Sysreg(SysRegId(3, 3, 14, 3, 1), true, 1);
  access = owned.AccessTimer(ctl, [] { return uint64_t{1000}; });
  EXPECT_EQ(access.deadline, 5000u);
  kvm_run pctl = Sysreg(SysRegId(3, 3, 14, 2, 1), false);
  EXPECT_EQ(DecodeExit(owned, pctl).kind, VcpuStop::Kind::kTimer);
  access = owned.AccessTimer(pctl, [] { return uint64_t{1000}; });
  EXPECT_EQ(access.timer, 1u);
  ASSERT_EQ(access.values.size(), 1u);
  EXPECT_EQ(arm64::ParseSysregExit(pctl)->value, access.values[0]);

  kvm_run hlt{};
  hlt.exit_reason = KVM_EXIT_HLT;
  EXPECT_EQ(DecodeExit(owned, hlt).kind, VcpuStop::Kind::kIdle);
  EXPECT_EQ(DecodeExit(stock, hlt).kind, VcpuStop::Kind::kCrash);
}

TEST(ExitDecoder, Riscv64SbiAndTimeExits) {
  riscv64::Riscv64Exits owned(true), stock(false);
  kvm_run sbi{};
  sbi.exit_reason = KVM_EXIT_RISCV_SBI;
  sbi.riscv_sbi.extension_id = 0x0A000000;  // a vendor extension
  sbi.riscv_sbi.function_id = 3;
  VcpuStop stop = DecodeExit(stock, sbi);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kHypercall);
  EXPECT_EQ(stop.function, (uint64_t{0x0A000000} << 32) | 3);
  std::vector<uint64_t> answered = stock.AnswerHypercall(sbi);
  EXPECT_EQ(static_cast<int64_t>(answered.at(0)), -2);  // SBI_ERR_NOT_SUPPORTED
  EXPECT_EQ(static_cast<int64_t>(sbi.riscv_sbi.ret[0]), -2);

  kvm_run set_timer = sbi;
  set_timer.riscv_sbi.extension_id = 0x54494D45;
  set_timer.riscv_sbi.function_id = 0;
  set_timer.riscv_sbi.args[0] = 777;
  EXPECT_EQ(DecodeExit(owned, set_timer).kind, VcpuStop::Kind::kTimer);
  EXPECT_EQ(DecodeExit(stock, set_timer).kind, VcpuStop::Kind::kHypercall);
  ArchExits::TimerAccess access = owned.AccessTimer(set_timer, [] { return uint64_t{0}; });
  EXPECT_EQ(access.deadline, 777u);
  EXPECT_EQ(access.values, (std::vector<uint64_t>{0, 0}));
  set_timer.riscv_sbi.args[0] = UINT64_MAX;  // stop the timer
  EXPECT_FALSE(owned.AccessTimer(set_timer, [] { return uint64_t{0}; }).deadline.has_value());

  kvm_run csr{};
  csr.exit_reason = KVM_EXIT_RISCV_CSR;
  csr.riscv_csr.csr_num = 0xc01;  // time
  stop = DecodeExit(owned, csr);
  EXPECT_EQ(stop.kind, VcpuStop::Kind::kClockRead);
  EXPECT_EQ(stop.function, static_cast<uint64_t>(ClockCounter::kTime));
  owned.CompleteClockRead(csr, 99);
  EXPECT_EQ(csr.riscv_csr.ret_value, 99u);
  csr.riscv_csr.csr_num = 0x100;  // sstatus: not vmrr's
  EXPECT_EQ(DecodeExit(owned, csr).kind, VcpuStop::Kind::kCrash);
}

}  // namespace
}  // namespace vmrr
