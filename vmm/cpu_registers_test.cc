#include "vmm/cpu_registers.h"

#include <gtest/gtest.h>

#include <map>

namespace vmrr {
namespace {

// A host's ONE_REGs: settable ones take values no higher than the host's.
struct FakeHost {
  std::map<uint64_t, uint64_t> values;
  std::map<uint64_t, uint64_t> limits;
  int sets = 0;

  OneRegGet Get() {
    return [this](uint64_t id) -> std::optional<uint64_t> {
      auto it = values.find(id);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  }
  OneRegSet Set() {
    return [this](uint64_t id, uint64_t value) {
      ++sets;
      auto limit = limits.find(id);
      if (limit == limits.end() || value > limit->second) return false;
      values[id] = value;
      return true;
    };
  }
};

TEST(CpuRegistersTest, ReadLeavesOutRegistersTheHostLacks) {
  FakeHost host;
  host.values = {{1, 0x10}, {3, 0x30}};
  std::vector<CpuRegister> regs =
      ReadCpuRegisters({{"A", 1, true}, {"B", 2, true}, {"C", 3, false}}, host.Get());
  ASSERT_EQ(regs.size(), 2u);
  EXPECT_EQ(regs[0].name, "A");
  EXPECT_EQ(regs[0].value, 0x10u);
  EXPECT_TRUE(regs[0].settable);
  EXPECT_EQ(regs[1].name, "C");
  EXPECT_FALSE(regs[1].settable);
}

TEST(CpuRegistersTest, SameValuesNeedNoChange) {
  FakeHost host;
  host.values = {{1, 0x10}, {3, 0x30}};
  EXPECT_EQ(
      PresentCpuRegisters({{"A", 1, 0x10, true}, {"C", 3, 0x30, false}}, host.Get(), host.Set()),
      "");
  EXPECT_EQ(host.sets, 0);
}

TEST(CpuRegistersTest, SettableRegisterTakesTheRecordedLowerValue) {
  FakeHost host;
  host.values = {{1, 0x1f}};
  host.limits = {{1, 0x1f}};
  EXPECT_EQ(PresentCpuRegisters({{"ID_AA64ISAR0_EL1", 1, 0x0f, true}}, host.Get(), host.Set()), "");
  EXPECT_EQ(host.values[1], 0x0fu);
}

TEST(CpuRegistersTest, RefusesWhatTheHostCannotPresent) {
  FakeHost host;
  host.values = {{1, 0x0f}, {2, 0x41}};
  host.limits = {{1, 0x0f}};
  std::string why =
      PresentCpuRegisters({{"ID_AA64ISAR0_EL1", 1, 0x1f, true}}, host.Get(), host.Set());
  EXPECT_NE(why.find("ID_AA64ISAR0_EL1 cannot be set to the recorded 0x1f"), std::string::npos)
      << why;
  why = PresentCpuRegisters({{"MIDR_EL1", 2, 0x42, false}}, host.Get(), host.Set());
  EXPECT_EQ(why, "MIDR_EL1 is 0x41 on this host, 0x42 where it was recorded (another CPU)");
  why = PresentCpuRegisters({{"X", 9, 1, true}}, host.Get(), host.Set());
  EXPECT_EQ(why, "this host's KVM has no X (recorded 0x1)");
}

}  // namespace
}  // namespace vmrr
