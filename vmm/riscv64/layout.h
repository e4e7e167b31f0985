// The riscv64 machine vmrr builds (the same addresses as QEMU's virt board):
// devices below 2 GiB, RAM from 2 GiB, a PLIC emulated in the VMM.
#pragma once

#include <cstdint>

namespace vmrr::riscv64 {

constexpr uint64_t kRtcBase = 0x00101000;
constexpr uint64_t kRtcSize = 0x1000;
constexpr uint32_t kRtcIrq = 11;

constexpr uint64_t kTestDeviceBase = 0x00102000;
constexpr uint64_t kTestDeviceSize = 0x1000;
constexpr uint32_t kTestDeviceIrq = 12;

constexpr uint64_t kPlicBase = 0x0c000000;
constexpr uint64_t kPlicSize = 0x4000000;
constexpr uint32_t kPlicSources = 31;

constexpr uint64_t kUartBase = 0x10000000;
constexpr uint64_t kUartSize = 8;
constexpr uint32_t kUartIrq = 10;

constexpr uint64_t kVirtioBase = 0x10001000;
constexpr uint64_t kVirtioStride = 0x1000;
constexpr uint64_t kVirtioWindow = 0x200;
constexpr int kVirtioSlots = 8;
constexpr uint32_t kVirtioFirstIrq = 1;

constexpr uint64_t kRamBase = 0x80000000;

// The supervisor external interrupt, as the hart's interrupt controller numbers it.
constexpr uint32_t kSupervisorExternalIrq = 9;

}  // namespace vmrr::riscv64
