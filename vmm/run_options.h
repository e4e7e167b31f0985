// `vmrr run` options: parsed from the command line, checked before anything
// is created (bad input is a one-line Error(kInput/kUsage), exit 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmrr {

struct DiskOption {
  std::string path;
  bool read_only = false;
};

struct RunOptions {
  std::string kernel;
  // --kernel-raw: the kernel is a plain binary, loaded and started where
  // QEMU's virt machine puts a headerless kernel (RAM + 0x80000 on arm64,
  // RAM + 0x200000 on riscv64).
  bool kernel_raw = false;
  std::optional<std::string> initrd;
  std::optional<DiskOption> disk;
  // Disk writes stay in memory, the image untouched (record and replay).
  bool disk_copy_on_write = false;
  // Varies the guest's boot entropy; none: the fixed default.
  std::optional<uint64_t> seed;
  std::string append;
  // --cmdline: the guest's whole command line, verbatim (no console=ttyS0).
  std::optional<std::string> cmdline;
  uint64_t mem_bytes = uint64_t{1} << 30;
  int cpus = 1;
  std::optional<std::string> dump_dtb;
  std::optional<uint64_t> timeout_seconds;
};

// "512M", "1G", "65536K", "1073741824" -> bytes; throws Error(kUsage).
uint64_t ParseMemorySize(const std::string& text);
// "rootfs.img" or "rootfs.img,ro" -> DiskOption; throws Error(kUsage).
DiskOption ParseDiskOption(const std::string& text);

// The flags `vmrr run` (and later record) accept, with their help lines.
struct FlagSpec {
  const char* name;
  bool takes_value;
  const char* help;
};
const std::vector<FlagSpec>& RunFlagSpecs();

// Builds RunOptions from flag values (name -> value, "" for booleans) and
// checks the files: the kernel must exist, the disk must be a regular file
// whose size is a multiple of 512.  Throws Error(kUsage or kInput).
RunOptions MakeRunOptions(const std::vector<std::pair<std::string, std::string>>& flags);

}  // namespace vmrr
