// `vmrr run` on arm64: the Image at the boot protocol's place, a generated
// device tree, the UART console, the PL031 RTC and virtio-blk, then the loop.
#include "vmm/guest_runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>
#include <memory>

#include "devices/block_backend.h"
#include "devices/mmio_bus.h"
#include "devices/rtc_pl031.h"
#include "devices/uart16550.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "vmm/arm64/boot_layout.h"
#include "vmm/arm64/device_tree.h"
#include "vmm/arm64/kernel_image.h"
#include "vmm/arm64/layout.h"
#include "vmm/arm64/machine.h"
#include "vmm/base/error.h"
#include "vmm/boot_files.h"
#include "vmm/console.h"

namespace vmrr {

RunOutcome RunGuest(const RunOptions& options) {
  using namespace arm64;
  std::vector<uint8_t> kernel = ReadBootFile("kernel", options.kernel);
  KernelImage image = ParseKernelImage(kernel, options.kernel);
  std::vector<uint8_t> initrd;
  if (options.initrd) initrd = ReadBootFile("initrd", *options.initrd);
  BootLayout layout = PlanBoot(image, kRamBase, options.mem_bytes, initrd.size());
  std::unique_ptr<BlockBackend> disk;
  if (options.disk) {
    disk = std::make_unique<FileBlockBackend>(options.disk->path, options.disk->read_only);
  }

  KvmSystem kvm = KvmSystem::Open();
  Machine machine(kvm, options.mem_bytes, options.cpus);
  GuestMemory& memory = machine.memory();
  if (!memory.Write(layout.kernel, kernel.data(), kernel.size()) ||
      (!initrd.empty() && !memory.Write(layout.initrd, initrd.data(), initrd.size()))) {
    throw Error(ErrorKind::kInternal, "boot layout outside guest RAM");
  }

  Console console(STDIN_FILENO, STDOUT_FILENO);
  MmioBus bus;
  Uart16550 uart(machine.SpiLine(kUartSpi), [&console](uint8_t byte) { console.Write(byte); });
  bus.Register(kUartBase, uart);
  // Host time: the one input the RTC has (recorded, later, like any other).
  RtcPl031 rtc([] { return static_cast<uint64_t>(std::time(nullptr)); }, machine.SpiLine(kRtcSpi));
  bus.Register(kRtcBase, rtc);
  std::unique_ptr<VirtioMmio> blk;
  int virtio_devices = 0;
  if (disk) {
    blk = std::make_unique<VirtioMmio>(memory, std::make_unique<VirtioBlk>(std::move(disk)),
                                       machine.SpiLine(kVirtioFirstSpi + virtio_devices));
    bus.Register(kVirtioBase + virtio_devices * kVirtioStride, *blk);
    ++virtio_devices;
  }

  DeviceTreeConfig dt;
  dt.ram_base = kRamBase;
  dt.ram_size = options.mem_bytes;
  dt.cpus = options.cpus;
  dt.virtio_devices = virtio_devices;
  dt.chosen.bootargs = "console=ttyS0 " + options.append;
  if (!initrd.empty()) {
    dt.chosen.initrd_start = layout.initrd;
    dt.chosen.initrd_end = layout.initrd_end;
  }
  dt.chosen.rng_seed = DefaultRngSeed();
  dt.chosen.kaslr_seed = kDefaultKaslrSeed;
  std::vector<uint8_t> dtb = BuildDeviceTree(dt);
  if (options.dump_dtb) WriteFile(*options.dump_dtb, dtb);
  if (!memory.Write(layout.dtb, dtb.data(), dtb.size())) {
    throw Error(ErrorKind::kInternal, "device tree outside guest RAM");
  }
  machine.SetBootRegisters(layout.kernel, layout.dtb);
  spdlog::info("kernel at {:#x} ({} bytes), initrd at {:#x} ({} bytes), dtb at {:#x}",
               layout.kernel, kernel.size(), layout.initrd, initrd.size(), layout.dtb);

  RunLoopConfig config;
  if (options.timeout_seconds) config.timeout = std::chrono::seconds(*options.timeout_seconds);
  config.console_input = [&uart](const uint8_t* data, size_t len) { uart.PushInput(data, len); };
  RunLoop loop(machine.vcpu(0), bus, console, config);
  RunOutcome outcome = loop.Run();
  spdlog::info("{} after {} exits", Describe(outcome), loop.exits());
  return outcome;
}

}  // namespace vmrr
