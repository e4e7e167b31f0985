#include "vmm/guest_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "base/error.h"

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

}  // namespace
}  // namespace vmrr
