// The arm64 machine vmrr builds: guest-physical addresses and interrupts.
// MMIO devices live below 2 GiB, RAM starts at 2 GiB (as kvmtool does).
#pragma once

#include <cstdint>

namespace vmrr::arm64 {

constexpr uint64_t kGicDistBase = 0x08000000;
constexpr uint64_t kGicDistSize = 0x10000;
constexpr uint64_t kGicRedistBase = 0x080a0000;
constexpr uint64_t kGicRedistSizePerCpu = 0x20000;

constexpr uint64_t kUartBase = 0x09000000;
constexpr uint64_t kUartSize = 8;  // the 16550 decodes 8 registers
constexpr uint32_t kUartSpi = 1;

constexpr uint64_t kRtcBase = 0x09010000;
constexpr uint64_t kRtcSize = 0x1000;
constexpr uint32_t kRtcSpi = 2;

constexpr uint64_t kTestDeviceBase = 0x09020000;
constexpr uint64_t kTestDeviceSize = 0x1000;
constexpr uint32_t kTestDeviceSpi = 3;

constexpr uint64_t kVirtioBase = 0x0a000000;
constexpr uint64_t kVirtioStride = 0x200;
constexpr int kVirtioSlots = 8;
constexpr uint32_t kVirtioFirstSpi = 16;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint32_t kGicSpiCount = 64;  // SPIs the vGIC is sized for

// GIC interrupt specifier (3 cells) and flags.
constexpr uint32_t kGicSpi = 0;
constexpr uint32_t kGicPpi = 1;
constexpr uint32_t kIrqLevelHigh = 4;

}  // namespace vmrr::arm64
