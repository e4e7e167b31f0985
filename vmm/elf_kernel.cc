#include "vmm/elf_kernel.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/error.h"
#include "base/le_bytes.h"

namespace vmrr {

namespace {

constexpr size_t kElf64HeaderBytes = 64;
constexpr size_t kElf64PhdrBytes = 56;
constexpr uint32_t kPtLoad = 1;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kMaxSegments = 64;

uint16_t LoadLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

bool IsElf(std::span<const uint8_t> file) {
  static constexpr uint8_t kMagic[] = {0x7f, 'E', 'L', 'F'};
  return file.size() >= sizeof(kMagic) && std::memcmp(file.data(), kMagic, sizeof(kMagic)) == 0;
}

ElfKernel FlattenElfKernel(std::span<const uint8_t> file, uint16_t machine, const std::string& arch,
                           uint64_t ram_base, uint64_t ram_limit, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInput, name + " is not a loadable " + arch + " ELF file: " + why);
  };
  if (!IsElf(file) || file.size() < kElf64HeaderBytes) throw bad("too short for an ELF64 header");
  const uint8_t* h = file.data();
  if (h[4] != 2) throw bad("it is not 64-bit");
  if (h[5] != 1) throw bad("it is not little-endian");
  if (LoadLe16(h + 18) != machine) {
    throw bad("its machine is " + std::to_string(LoadLe16(h + 18)) + ", not " + arch + " (" +
              std::to_string(machine) + ")");
  }
  if (LoadLe16(h + 16) != kEtExec) throw bad("it is not an executable (ET_EXEC)");
  const uint64_t entry = LoadLe64(h + 24);
  const uint64_t phoff = LoadLe64(h + 32);
  const uint16_t phentsize = LoadLe16(h + 54);
  const uint16_t phnum = LoadLe16(h + 56);
  if (phentsize != kElf64PhdrBytes || phnum == 0 || phnum > kMaxSegments || phoff > file.size() ||
      uint64_t{phnum} * phentsize > file.size() - phoff) {
    throw bad("its program headers are missing or malformed");
  }
  struct Segment {
    uint64_t paddr, offset, filesz, memsz;
  };
  std::vector<Segment> segments;
  const uint64_t ram_end = ram_base + ram_limit;
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint8_t* p = h + phoff + uint64_t{i} * phentsize;
    if (LoadLe32(p) != kPtLoad) continue;
    Segment s{LoadLe64(p + 24), LoadLe64(p + 8), LoadLe64(p + 32), LoadLe64(p + 40)};
    if (s.memsz == 0) continue;
    if (s.filesz > s.memsz || s.offset > file.size() || s.filesz > file.size() - s.offset) {
      throw bad("segment " + std::to_string(i) + " runs past the end of the file");
    }
    if (s.paddr < ram_base || s.paddr >= ram_end || s.memsz > ram_end - s.paddr) {
      throw bad("segment " + std::to_string(i) + " at " + Hex(s.paddr) + " (" +
                std::to_string(s.memsz) + " bytes) is outside guest RAM " + Hex(ram_base) + "-" +
                Hex(ram_end));
    }
    segments.push_back(s);
  }
  if (segments.empty()) throw bad("it has no loadable segment");
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.paddr < b.paddr; });
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i].paddr < segments[i - 1].paddr + segments[i - 1].memsz) {
      throw bad("segments at " + Hex(segments[i - 1].paddr) + " and " + Hex(segments[i].paddr) +
                " overlap");
    }
  }
  ElfKernel kernel;
  kernel.load_address = segments.front().paddr;
  const Segment& last = segments.back();
  kernel.image.assign(last.paddr + last.memsz - kernel.load_address, 0);
  for (const Segment& s : segments) {
    std::memcpy(kernel.image.data() + (s.paddr - kernel.load_address), h + s.offset, s.filesz);
  }
  if (entry < kernel.load_address || entry - kernel.load_address >= kernel.image.size()) {
    throw bad("its entry point " + Hex(entry) + " is in no segment");
  }
  kernel.entry = entry;
  return kernel;
}

}  // namespace vmrr
