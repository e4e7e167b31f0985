#include "vmm/fdt_builder.h"

#include <gtest/gtest.h>

extern "C" {
#include <libfdt.h>
}

#include "base/error.h"

namespace vmrr {
namespace {

TEST(FdtBuilder, PropertiesReadBackWithLibfdt) {
  FdtBuilder b;
  b.BeginNode("");
  b.PropertyU32("#address-cells", 2);
  b.PropertyStrings("compatible", {"a,b", "c"});
  b.BeginNode("memory@80000000");
  b.PropertyString("device_type", "memory");
  b.PropertyCells("reg", {0, 0x80000000, 0, 0x10000000});
  b.PropertyU64("big", 0x1122334455667788ull);
  b.PropertyEmpty("flag");
  b.EndNode();
  b.EndNode();
  std::vector<uint8_t> blob = b.Finish();
  const void* fdt = blob.data();
  ASSERT_EQ(fdt_check_header(fdt), 0);
  EXPECT_EQ(fdt_totalsize(fdt), blob.size());

  int len = 0;
  auto* cells = static_cast<const fdt32_t*>(fdt_getprop(fdt, 0, "#address-cells", &len));
  ASSERT_EQ(len, 4);
  EXPECT_EQ(fdt32_to_cpu(*cells), 2u);
  auto* compat = static_cast<const char*>(fdt_getprop(fdt, 0, "compatible", &len));
  ASSERT_EQ(len, 6);
  EXPECT_EQ(std::string(compat, 5), std::string("a,b\0c", 5));

  int mem = fdt_path_offset(fdt, "/memory@80000000");
  ASSERT_GE(mem, 0);
  auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, mem, "reg", &len));
  ASSERT_EQ(len, 16);
  EXPECT_EQ(fdt32_to_cpu(reg[1]), 0x80000000u);
  auto* big = static_cast<const fdt64_t*>(fdt_getprop(fdt, mem, "big", &len));
  ASSERT_EQ(len, 8);
  EXPECT_EQ(fdt64_to_cpu(*big), 0x1122334455667788ull);
  EXPECT_NE(fdt_getprop(fdt, mem, "flag", &len), nullptr);
  EXPECT_EQ(len, 0);
}

TEST(FdtBuilder, MisuseThrows) {
  FdtBuilder b;
  EXPECT_THROW(b.EndNode(), Error);
  b.BeginNode("");
  EXPECT_THROW(b.Finish(), Error);
}

TEST(FdtBuilder, OverflowingCapacityThrows) {
  FdtBuilder b(256);
  b.BeginNode("");
  EXPECT_THROW(b.PropertyString("big", std::string(1000, 'x')), Error);
}

TEST(FdtBuilder, PhandlesAreUniqueAndNonZero) {
  FdtBuilder b;
  uint32_t a = b.NewPhandle();
  uint32_t c = b.NewPhandle();
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace vmrr
