// The parts of `vmrr run` that are the same on every architecture: boot
// files, the UART console and virtio-blk disk, loading RAM, /chosen, and
// running the loop.  vmm/<arch>/guest_runner.cc adds the machine itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/mmio_bus.h"
#include "devices/test_device.h"
#include "devices/uart16550.h"
#include "devices/virtio_mmio.h"
#include "memory/guest_memory.h"
#include "vmm/boot_layout.h"
#include "vmm/console.h"
#include "vmm/device_tree_nodes.h"
#include "vmm/run_loop.h"
#include "vmm/run_options.h"

namespace vmrr {

struct BootFiles {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;  // empty without --initrd
};
BootFiles ReadBootFiles(const RunOptions& options);

// Where an architecture loads kernels that are not Linux Images.
struct BareMetalBoot {
  uint16_t elf_machine;  // EM_*: ELF files for this architecture
  const char* arch;
  uint64_t ram_base;
  uint64_t raw_offset;  // --kernel-raw: loaded and started at ram_base + raw_offset
};

// A bare-metal kernel: with --kernel-raw the file as it is, at
// ram_base + raw_offset; else an ELF executable (vmm/elf_kernel.h), its
// segments' flat image replacing files.kernel at their lowest address,
// started at its entry.  The initrd and device tree as for an Image.
// nullopt for anything else (a Linux Image, for the arch to parse).
// Throws Error(kInput) for an ELF file that cannot be loaded.
std::optional<BootLayout> PlanBareMetalBoot(const RunOptions& options, BootFiles& files,
                                            const BareMetalBoot& arch);

struct StandardDevices {
  std::unique_ptr<Uart16550> uart;
  std::unique_ptr<VirtioMmio> disk;  // null without --disk
  int virtio_devices = 0;
};

// The UART at `uart_base` and, with --disk, virtio-blk in virtio slot 0.
StandardDevices AddStandardDevices(const RunOptions& options, GuestMemory& memory, MmioBus& bus,
                                   Console& console, uint64_t uart_base, IrqLine uart_irq,
                                   uint64_t virtio_base,
                                   const std::function<IrqLine(int slot)>& virtio_irq);

// The test device with host randomness and the host's steady clock.
std::unique_ptr<TestDevice> MakeTestDevice(IrqLine irq);

// bootargs ("console=ttyS0 " + --append, or --cmdline as it is), the
// initrd range and fixed seeds.
ChosenConfig MakeChosen(const RunOptions& options, const BootLayout& layout);

// Copies kernel, initrd and device tree into RAM (and writes --dump-dtb).
void LoadGuest(const RunOptions& options, GuestMemory& memory, const BootLayout& layout,
               const BootFiles& files, const std::vector<uint8_t>& dtb);

// Runs vCPU 0 with the console wired to the UART until an outcome;
// `arch_exit` and `explain_crash` as RunLoopConfig's, `device_timers` are
// the test device's.
RunOutcome RunWithConsole(const RunOptions& options, KvmVcpu& vcpu, const ArchExits& exits,
                          MmioBus& bus, Console& console, Uart16550& uart,
                          std::function<bool(const VcpuStop&, kvm_run&)> arch_exit = {},
                          DeviceTimerHooks device_timers = {},
                          std::function<std::string()> explain_crash = {});

// What to add to "the guest crashed: KVM_RUN: ..." (RunLoopConfig's
// explain_crash): where the vCPU was, `read_pc()` (which may throw), and
// whether that is outside guest RAM.  A riscv64 guest's illegal
// instruction on a QEMU-emulated host ends this way: the vCPU is sent to
// the host kernel's trap vector (README, "Known host bugs").
std::string DescribeCrashedVcpu(const std::function<uint64_t()>& read_pc,
                                const GuestMemory& memory);

}  // namespace vmrr
