#include "vmm/guest_session.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "base/error.h"
#include "devices/block_backend.h"
#include "devices/overlay_block_backend.h"
#include "devices/virtio_blk.h"
#include "vmm/boot_files.h"
#include "vmm/elf_kernel.h"

namespace vmrr {

BootFiles ReadBootFiles(const RunOptions& options) {
  BootFiles files;
  files.kernel = ReadBootFile("kernel", options.kernel);
  if (options.initrd) files.initrd = ReadBootFile("initrd", *options.initrd);
  return files;
}

std::optional<BootLayout> PlanBareMetalBoot(const RunOptions& options, BootFiles& files,
                                            const BareMetalBoot& arch) {
  if (options.kernel_raw) {
    return PlanBoot(arch.raw_offset, files.kernel.size(), arch.ram_base, options.mem_bytes,
                    files.initrd.size());
  }
  if (!IsElf(files.kernel)) return std::nullopt;
  ElfKernel elf = FlattenElfKernel(files.kernel, arch.elf_machine, arch.arch, arch.ram_base,
                                   options.mem_bytes - kDtbMaxSize, options.kernel);
  files.kernel = std::move(elf.image);
  BootLayout layout = PlanBoot(elf.load_address - arch.ram_base, files.kernel.size(), arch.ram_base,
                               options.mem_bytes, files.initrd.size());
  layout.entry = elf.entry;
  return layout;
}

StandardDevices AddStandardDevices(const RunOptions& options, GuestMemory& memory, MmioBus& bus,
                                   Console& console, uint64_t uart_base, IrqLine uart_irq,
                                   uint64_t virtio_base,
                                   const std::function<IrqLine(int slot)>& virtio_irq) {
  StandardDevices devices;
  devices.uart = std::make_unique<Uart16550>(std::move(uart_irq),
                                             [&console](uint8_t byte) { console.Write(byte); });
  bus.Register(uart_base, *devices.uart);
  if (options.disk) {
    std::unique_ptr<BlockBackend> disk;
    if (options.disk_copy_on_write) {
      disk = std::make_unique<OverlayBlockBackend>(
          std::make_unique<FileBlockBackend>(options.disk->path, true), options.disk->read_only);
    } else {
      disk = std::make_unique<FileBlockBackend>(options.disk->path, options.disk->read_only);
    }
    devices.disk = std::make_unique<VirtioMmio>(
        memory, std::make_unique<VirtioBlk>(std::move(disk)), virtio_irq(0));
    bus.Register(virtio_base, *devices.disk);
    devices.virtio_devices = 1;
  }
  return devices;
}

std::unique_ptr<TestDevice> MakeTestDevice(IrqLine irq) {
  auto random = std::make_shared<std::random_device>();
  return std::make_unique<TestDevice>(
      std::move(irq), [random] { return (*random)(); },
      [] { return std::chrono::steady_clock::now(); });
}

ChosenConfig MakeChosen(const RunOptions& options, const BootLayout& layout) {
  ChosenConfig chosen;
  chosen.bootargs = options.cmdline ? *options.cmdline : "console=ttyS0 " + options.append;
  if (layout.initrd_end > layout.initrd) {
    chosen.initrd_start = layout.initrd;
    chosen.initrd_end = layout.initrd_end;
  }
  chosen.rng_seed = options.seed ? RngSeedFor(*options.seed) : DefaultRngSeed();
  chosen.kaslr_seed = options.seed ? KaslrSeedFor(*options.seed) : kDefaultKaslrSeed;
  return chosen;
}

void LoadGuest(const RunOptions& options, GuestMemory& memory, const BootLayout& layout,
               const BootFiles& files, const std::vector<uint8_t>& dtb) {
  if (options.dump_dtb) WriteFile(*options.dump_dtb, dtb);
  bool ok = memory.Write(layout.kernel, files.kernel.data(), files.kernel.size()) &&
            memory.Write(layout.dtb, dtb.data(), dtb.size()) &&
            (files.initrd.empty() ||
             memory.Write(layout.initrd, files.initrd.data(), files.initrd.size()));
  if (!ok) throw Error(ErrorKind::kInternal, "boot layout outside guest RAM");
  spdlog::info("kernel at {:#x} ({} bytes), initrd at {:#x} ({} bytes), dtb at {:#x}",
               layout.kernel, files.kernel.size(), layout.initrd, files.initrd.size(), layout.dtb);
}

RunOutcome RunWithConsole(const RunOptions& options, KvmVcpu& vcpu, const ArchExits& exits,
                          MmioBus& bus, Console& console, Uart16550& uart,
                          std::function<bool(const VcpuStop&, kvm_run&)> arch_exit,
                          DeviceTimerHooks device_timers,
                          std::function<std::string()> explain_crash) {
  RunLoopConfig config;
  config.explain_crash = std::move(explain_crash);
  if (options.timeout_seconds) config.timeout = std::chrono::seconds(*options.timeout_seconds);
  config.console_input = [&uart](const uint8_t* data, size_t len) { uart.PushInput(data, len); };
  config.arch_exit = std::move(arch_exit);
  config.poll_devices = std::move(device_timers.poll_devices);
  config.next_deadline = std::move(device_timers.next_deadline);
  RunLoop loop(vcpu, exits, bus, console, config);
  RunOutcome outcome = loop.Run();
  spdlog::info("{} after {} exits", Describe(outcome), loop.exits());
  return outcome;
}

std::string DescribeCrashedVcpu(const std::function<uint64_t()>& read_pc,
                                const GuestMemory& memory) {
  uint64_t pc = 0;
  try {
    pc = read_pc();
  } catch (const Error&) {
    return "";  // KVM would not say either
  }
  std::string at = fmt::format("the vCPU's PC is {:#x}", pc);
  if (memory.Contains(pc, 2)) return at;
  return at + fmt::format(", outside guest RAM ({:#x}-{:#x})", memory.base(),
                          memory.base() + memory.size() - 1);
}

}  // namespace vmrr
