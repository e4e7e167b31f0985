#include "vmm/elf_kernel.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"

namespace vmrr {
namespace {

constexpr uint64_t kRam = 0x80000000;

void Put(std::vector<uint8_t>& b, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

struct Segment {
  uint64_t paddr;
  std::vector<uint8_t> data;
  uint64_t memsz;
  uint32_t type = 1;  // PT_LOAD
};

// An ELF64 LE executable with these segments (data after the headers).
std::vector<uint8_t> Elf(uint16_t machine, uint64_t entry, const std::vector<Segment>& segments) {
  const size_t phoff = 64, phdrs = 56 * segments.size();
  std::vector<uint8_t> b(phoff + phdrs, 0);
  b[0] = 0x7f;
  b[1] = 'E';
  b[2] = 'L';
  b[3] = 'F';
  b[4] = 2;  // 64-bit
  b[5] = 1;  // little-endian
  b[6] = 1;
  Put(b, 16, 2, 2);  // ET_EXEC
  Put(b, 18, machine, 2);
  Put(b, 24, entry, 8);
  Put(b, 32, phoff, 8);
  Put(b, 54, 56, 2);
  Put(b, 56, segments.size(), 2);
  for (size_t i = 0; i < segments.size(); ++i) {
    size_t p = phoff + 56 * i;
    Put(b, p, segments[i].type, 4);
    Put(b, p + 8, b.size(), 8);  // offset: appended below
    Put(b, p + 16, segments[i].paddr, 8);
    Put(b, p + 24, segments[i].paddr, 8);
    Put(b, p + 32, segments[i].data.size(), 8);
    Put(b, p + 40, segments[i].memsz, 8);
    b.insert(b.end(), segments[i].data.begin(), segments[i].data.end());
  }
  return b;
}

ElfKernel Flatten(const std::vector<uint8_t>& file) {
  return FlattenElfKernel(file, kElfMachineAarch64, "arm64", kRam, 1 << 30, "prog.elf");
}

std::string ErrorOf(const std::vector<uint8_t>& file) {
  try {
    Flatten(file);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    return e.what();
  }
}

TEST(ElfKernel, SegmentsAreLaidOutFlatWithBssZeroed) {
  std::vector<uint8_t> file = Elf(kElfMachineAarch64, kRam + 0x80004,
                                  {{kRam + 0x90000, {7, 8}, 16},
                                   {kRam + 0x80000, {1, 2, 3, 4, 5}, 5},
                                   {kRam + 0x100000, {}, 0, 4 /* PT_NOTE: skipped */}});
  EXPECT_TRUE(IsElf(file));
  ElfKernel k = Flatten(file);
  EXPECT_EQ(k.load_address, kRam + 0x80000);
  EXPECT_EQ(k.entry, kRam + 0x80004);
  ASSERT_EQ(k.image.size(), 0x10000u + 16);
  EXPECT_EQ(k.image[0], 1);
  EXPECT_EQ(k.image[4], 5);
  EXPECT_EQ(k.image[5], 0);  // the gap
  EXPECT_EQ(k.image[0x10000], 7);
  EXPECT_EQ(k.image[0x10001], 8);
  EXPECT_EQ(k.image[0x10002], 0);  // BSS
}

TEST(ElfKernel, WhatCannotBeLoadedIsNamed) {
  std::vector<uint8_t> ok = Elf(kElfMachineAarch64, kRam, {{kRam, {1}, 1}});
  EXPECT_EQ(ErrorOf(ok), "");
  EXPECT_EQ(ErrorOf(Elf(kElfMachineRiscv, kRam, {{kRam, {1}, 1}})),
            "prog.elf is not a loadable arm64 ELF file: its machine is 243, not arm64 (183)");
  std::vector<uint8_t> elf32 = ok;
  elf32[4] = 1;
  EXPECT_NE(ErrorOf(elf32).find("it is not 64-bit"), std::string::npos);
  std::vector<uint8_t> big = ok;
  big[5] = 2;
  EXPECT_NE(ErrorOf(big).find("not little-endian"), std::string::npos);
  std::vector<uint8_t> dyn = ok;
  dyn[16] = 3;  // ET_DYN
  EXPECT_NE(ErrorOf(dyn).find("not an executable"), std::string::npos);
  EXPECT_NE(ErrorOf(Elf(kElfMachineAarch64, kRam, {{0x1000, {1}, 1}}))
                .find("segment 0 at 0x1000 (1 bytes) is outside guest RAM 0x80000000-0xc0000000"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Elf(kElfMachineAarch64, kRam, {{kRam + (1 << 30) - 4, {1}, 8}}))
                .find("outside guest RAM"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Elf(kElfMachineAarch64, kRam, {{kRam, {1}, 16}, {kRam + 8, {2}, 1}})).find("overlap"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Elf(kElfMachineAarch64, kRam + 64, {{kRam, {1}, 16}})).find("entry point"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Elf(kElfMachineAarch64, kRam, {})).find("program headers"), std::string::npos);
  EXPECT_NE(ErrorOf(Elf(kElfMachineAarch64, kRam, {{kRam, {}, 0, 4}})).find("no loadable segment"),
            std::string::npos);
  std::vector<uint8_t> cut = ok;
  cut.pop_back();
  EXPECT_NE(ErrorOf(cut).find("runs past the end of the file"), std::string::npos);
  std::vector<uint8_t> tiny(ok.begin(), ok.begin() + 20);
  EXPECT_NE(ErrorOf(tiny).find("too short"), std::string::npos);
}

}  // namespace
}  // namespace vmrr
