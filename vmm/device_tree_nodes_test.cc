#include "vmm/device_tree_nodes.h"

#include <gtest/gtest.h>

extern "C" {
#include <libfdt.h>
}

namespace vmrr {
namespace {

std::vector<uint8_t> TreeWith(const ChosenConfig& chosen) {
  FdtBuilder fdt;
  fdt.BeginNode("");
  fdt.PropertyU32("#address-cells", 2);
  fdt.PropertyU32("#size-cells", 2);
  AddChosenNode(fdt, chosen);
  AddMemoryNode(fdt, 0x80000000, 0x40000000);
  AddUartNode(fdt, 0x10000000, 0x100, {{10}, 7});
  AddVirtioMmioNode(fdt, 0x10001000, 0x200, {{1}});
  fdt.EndNode();
  return fdt.Finish();
}

TEST(DeviceTreeNodes, ChosenCarriesBootargsInitrdAndFixedSeeds) {
  ChosenConfig chosen{"console=ttyS0 quiet", "/uart@10000000", 0x88000000, 0x88100000,
                      DefaultRngSeed(),      kDefaultKaslrSeed};
  std::vector<uint8_t> blob = TreeWith(chosen);
  const void* fdt = blob.data();
  int node = fdt_path_offset(fdt, "/chosen");
  ASSERT_GE(node, 0);
  EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, node, "bootargs", nullptr)),
               "console=ttyS0 quiet");
  EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, node, "stdout-path", nullptr)),
               "/uart@10000000");
  int len = 0;
  auto* start = static_cast<const fdt64_t*>(fdt_getprop(fdt, node, "linux,initrd-start", &len));
  ASSERT_EQ(len, 8);
  EXPECT_EQ(fdt64_to_cpu(*start), 0x88000000u);
  auto* seed = static_cast<const uint8_t*>(fdt_getprop(fdt, node, "rng-seed", &len));
  ASSERT_EQ(len, 64);
  EXPECT_EQ(std::vector<uint8_t>(seed, seed + len), DefaultRngSeed());
  auto* kaslr = static_cast<const fdt64_t*>(fdt_getprop(fdt, node, "kaslr-seed", &len));
  EXPECT_EQ(fdt64_to_cpu(*kaslr), kDefaultKaslrSeed);
  // The same inputs give the same blob.
  EXPECT_EQ(blob, TreeWith(chosen));
}

TEST(DeviceTreeNodes, NoInitrdNoInitrdProperties) {
  std::vector<uint8_t> blob = TreeWith(ChosenConfig{"x", "", {}, {}, {}, 1});
  int node = fdt_path_offset(blob.data(), "/chosen");
  EXPECT_EQ(fdt_getprop(blob.data(), node, "linux,initrd-start", nullptr), nullptr);
  EXPECT_EQ(fdt_getprop(blob.data(), node, "stdout-path", nullptr), nullptr);
}

TEST(DeviceTreeNodes, UartAndVirtioNodes) {
  std::vector<uint8_t> blob = TreeWith(ChosenConfig{});
  const void* fdt = blob.data();
  int uart = fdt_path_offset(fdt, "/uart@10000000");
  ASSERT_GE(uart, 0);
  EXPECT_EQ(fdt_node_check_compatible(fdt, uart, "ns16550a"), 0);
  int len = 0;
  auto* clk = static_cast<const fdt32_t*>(fdt_getprop(fdt, uart, "clock-frequency", &len));
  EXPECT_EQ(fdt32_to_cpu(*clk), kUartClockHz);
  auto* parent = static_cast<const fdt32_t*>(fdt_getprop(fdt, uart, "interrupt-parent", &len));
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(fdt32_to_cpu(*parent), 7u);
  int virtio = fdt_path_offset(fdt, "/virtio_mmio@10001000");
  ASSERT_GE(virtio, 0);
  EXPECT_EQ(fdt_node_check_compatible(fdt, virtio, "virtio,mmio"), 0);
  auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, virtio, "reg", &len));
  ASSERT_EQ(len, 16);
  EXPECT_EQ(fdt32_to_cpu(reg[1]), 0x10001000u);
  EXPECT_EQ(fdt32_to_cpu(reg[3]), 0x200u);
  EXPECT_EQ(fdt_getprop(fdt, virtio, "interrupt-parent", &len), nullptr);
}

TEST(DeviceTreeNodes, NodeNameIsHex) { EXPECT_EQ(NodeName("uart", 0x9000000), "uart@9000000"); }

}  // namespace
}  // namespace vmrr
