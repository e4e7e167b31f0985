#include "vmm/guest_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "base/error.h"
#include "vmm/elf_kernel.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x80000000;

TEST(GuestSession, ChosenFromOptionsAndLayout) {
  RunOptions options;
  options.append = "vmrr.workload=io";
  BootLayout layout{kRam, kRam + 100, kRam + 0x3e00000, kRam + 0x3000000, kRam + 0x3001000};
  ChosenConfig chosen = MakeChosen(options, layout);
  EXPECT_EQ(chosen.bootargs, "console=ttyS0 vmrr.workload=io");
  // Issue 19 item 11: --cmdline is the whole of it.
  RunOptions verbatim;
  verbatim.cmdline = "arg1  arg2";
  EXPECT_EQ(MakeChosen(verbatim, layout).bootargs, "arg1  arg2");
  verbatim.cmdline = "";
  EXPECT_EQ(MakeChosen(verbatim, layout).bootargs, "");
  EXPECT_EQ(chosen.initrd_start.value(), kRam + 0x3000000);
  EXPECT_EQ(chosen.initrd_end.value(), kRam + 0x3001000);
  EXPECT_EQ(chosen.rng_seed, DefaultRngSeed());
  BootLayout no_initrd{kRam, kRam + 100, kRam + 0x3e00000, 0, 0};
  EXPECT_FALSE(MakeChosen(options, no_initrd).initrd_start.has_value());
}

TEST(GuestSession, ASeedVariesTheBootEntropyReproducibly) {
  RunOptions options;
  BootLayout layout{kRam, kRam + 100, kRam + 0x3e00000, 0, 0};
  ChosenConfig fixed = MakeChosen(options, layout);
  options.seed = 1;
  ChosenConfig one = MakeChosen(options, layout);
  options.seed = 2;
  ChosenConfig two = MakeChosen(options, layout);
  EXPECT_NE(one.rng_seed, fixed.rng_seed);
  EXPECT_NE(one.rng_seed, two.rng_seed);
  EXPECT_NE(one.kaslr_seed, two.kaslr_seed);
  EXPECT_EQ(one.rng_seed.size(), 64u);
  options.seed = 1;
  EXPECT_EQ(MakeChosen(options, layout).rng_seed, one.rng_seed);
  EXPECT_EQ(MakeChosen(options, layout).kaslr_seed, one.kaslr_seed);
}

TEST(GuestSession, LoadGuestPlacesEverythingAndDumpsTheDtb) {
  GuestMemory memory(kRam, 64 << 20);
  RunOptions options;
  options.dump_dtb = ::testing::TempDir() + "/guest_session.dtb";
  BootFiles files{{1, 2, 3, 4}, {9, 9}};
  BootLayout layout{kRam + 0x200000, kRam + 0x200004, kRam + (62 << 20), kRam + (61 << 20),
                    kRam + (61 << 20) + 2};
  std::vector<uint8_t> dtb = {0xd0, 0x0d, 0xfe, 0xed};
  LoadGuest(options, memory, layout, files, dtb);
  EXPECT_EQ(memory.Load<uint32_t>(layout.kernel).value(), 0x04030201u);
  EXPECT_EQ(memory.Load<uint16_t>(layout.initrd).value(), 0x0909u);
  EXPECT_EQ(memory.Load<uint32_t>(layout.dtb).value(), 0xedfe0dd0u);
  std::ifstream dumped(*options.dump_dtb, std::ios::binary);
  std::vector<uint8_t> back((std::istreambuf_iterator<char>(dumped)), {});
  EXPECT_EQ(back, dtb);
  BootLayout outside = layout;
  outside.dtb = kRam + (64 << 20) - 2;
  EXPECT_THROW(LoadGuest(RunOptions{}, memory, outside, files, dtb), Error);
}

TEST(GuestSession, StandardDevicesRegisterUartAndDisk) {
  std::string disk = ::testing::TempDir() + "/guest_session_disk.img";
  std::ofstream(disk) << std::string(4096, '\0');
  RunOptions options;
  options.disk = DiskOption{disk, true};
  GuestMemory memory(kRam, 16 << 20);
  MmioBus bus;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Console console(fds[0], fds[1]);
  int irqs = 0;
  StandardDevices devices = AddStandardDevices(
      options, memory, bus, console, 0x10000000, [](bool) {}, 0x10001000,
      [&irqs](int) {
        ++irqs;
        return IrqLine([](bool) {});
      });
  EXPECT_EQ(devices.virtio_devices, 1);
  EXPECT_EQ(irqs, 1);
  uint8_t magic[4] = {};
  ASSERT_TRUE(bus.Read(0x10001000, magic, 4));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(magic), 4), "virt");
  uint8_t byte = 'Z';
  ASSERT_TRUE(bus.Write(0x10000000, &byte, 1));  // THR
  char out = 0;
  ASSERT_EQ(read(fds[0], &out, 1), 1);
  EXPECT_EQ(out, 'Z');
  close(fds[0]);
  close(fds[1]);
}

// Issue 19 item 10: a bare-metal ELF program as --kernel.
std::vector<uint8_t> OneSegmentElf(uint16_t machine, uint64_t paddr, uint64_t entry,
                                   const std::vector<uint8_t>& data, uint64_t memsz) {
  std::vector<uint8_t> b(64 + 56, 0);
  auto put = [&b](size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F', b[4] = 2, b[5] = 1, b[6] = 1;
  put(16, 2, 2);  // ET_EXEC
  put(18, machine, 2);
  put(24, entry, 8);
  put(32, 64, 8);
  put(54, 56, 2);
  put(56, 1, 2);
  put(64, 1, 4);  // PT_LOAD
  put(64 + 8, b.size(), 8);
  put(64 + 16, paddr, 8);
  put(64 + 24, paddr, 8);
  put(64 + 32, data.size(), 8);
  put(64 + 40, memsz, 8);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

const BareMetalBoot kArm64{kElfMachineAarch64, "arm64", kRam, 0x80000};

TEST(GuestSession, AnElfKernelIsLoadedBySegmentsAndStartsAtItsEntry) {
  RunOptions options;
  options.mem_bytes = 256 << 20;
  options.kernel = "prog.elf";
  BootFiles files;
  files.kernel = OneSegmentElf(kElfMachineAarch64, kRam + 0x80000, kRam + 0x80010, {1, 2, 3}, 64);
  files.initrd.assign(100, 'i');
  std::optional<BootLayout> layout = PlanBareMetalBoot(options, files, kArm64);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->kernel, kRam + 0x80000);
  EXPECT_EQ(layout->entry, kRam + 0x80010);
  EXPECT_EQ(layout->kernel_end, kRam + 0x80000 + 64);
  EXPECT_EQ(layout->dtb, kRam + (256 << 20) - kDtbMaxSize);
  EXPECT_GT(layout->initrd, layout->kernel_end);
  // What is loaded at `kernel` is the flat image, BSS zeroed.
  std::vector<uint8_t> flat(64, 0);
  flat[0] = 1, flat[1] = 2, flat[2] = 3;
  EXPECT_EQ(files.kernel, flat);

  // Not ELF: the arch parses it as an Image.
  BootFiles image;
  image.kernel.assign(4096, 0);
  EXPECT_FALSE(PlanBareMetalBoot(options, image, kArm64).has_value());
  EXPECT_EQ(image.kernel.size(), 4096u);

  // The other architecture's program, or one in the device tree's room.
  BootFiles riscv;
  riscv.kernel = OneSegmentElf(kElfMachineRiscv, kRam, kRam, {1}, 1);
  EXPECT_THROW(PlanBareMetalBoot(options, riscv, kArm64), Error);
  BootFiles high;
  high.kernel = OneSegmentElf(kElfMachineAarch64, kRam + (256 << 20) - 4096,
                              kRam + (256 << 20) - 4096, {1}, 1);
  EXPECT_THROW(PlanBareMetalBoot(options, high, kArm64), Error);
}

// --kernel-raw: the file as it is, even one that looks like ELF.
TEST(GuestSession, ARawKernelGoesWhereQemuVirtPutsIt) {
  RunOptions options;
  options.mem_bytes = 256 << 20;
  options.kernel_raw = true;
  BootFiles files;
  files.kernel = OneSegmentElf(kElfMachineRiscv, 0, 0, {1}, 1);
  const std::vector<uint8_t> file = files.kernel;
  std::optional<BootLayout> layout = PlanBareMetalBoot(options, files, kArm64);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->kernel, kRam + 0x80000);
  EXPECT_EQ(layout->entry, kRam + 0x80000);
  EXPECT_EQ(layout->kernel_end, kRam + 0x80000 + file.size());
  EXPECT_EQ(files.kernel, file);
}

// Issue 19 item 13: a vCPU KVM will not run any more is described by where
// it was; outside RAM (a riscv64 guest sent to the host's trap vector) says so.
TEST(GuestSession, ACrashedVcpuIsDescribedByItsPc) {
  GuestMemory memory(kRam, 16 << 20);
  EXPECT_EQ(DescribeCrashedVcpu([] { return kRam + 0x1000; }, memory),
            "the vCPU's PC is 0x80001000");
  EXPECT_EQ(DescribeCrashedVcpu([] { return 0xffffffff01e80d1cull; }, memory),
            "the vCPU's PC is 0xffffffff01e80d1c, outside guest RAM (0x80000000-0x80ffffff)");
  EXPECT_EQ(
      DescribeCrashedVcpu([]() -> uint64_t { throw Error(ErrorKind::kInternal, "no"); }, memory),
      "");
}

}  // namespace
}  // namespace vmrr
