#include "vmm/run_options.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "replay/guest_limits.h"

namespace vmrr {

namespace {

constexpr uint64_t kMinMemory = kMinGuestMemBytes;
constexpr uint64_t kMaxMemory = kMaxGuestMemBytes;
// About 31 years: more is a typo, and would overflow the run loop's deadline.
constexpr uint64_t kMaxTimeoutSeconds = 1'000'000'000;

void RequireFile(const std::string& what, const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    throw Error(ErrorKind::kInput, what + " " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::kInput, what + " " + path + ": not a file");
}

}  // namespace

uint64_t ParseMemorySize(const std::string& text) {
  auto bad = [&] {
    return Error(ErrorKind::kUsage, "--mem '" + text + "': want a size such as 512M or 2G");
  };
  if (text.empty()) throw bad();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) throw bad();
  uint64_t value = std::stoull(text.substr(0, digits));
  std::string suffix = text.substr(digits);
  uint64_t scale = 1;
  if (suffix == "K" || suffix == "k") {
    scale = 1ull << 10;
  } else if (suffix == "M" || suffix == "m") {
    scale = 1ull << 20;
  } else if (suffix == "G" || suffix == "g") {
    scale = 1ull << 30;
  } else if (!suffix.empty()) {
    throw bad();
  }
  uint64_t bytes = value * scale;
  if (bytes < kMinMemory || bytes > kMaxMemory) {
    throw Error(ErrorKind::kUsage, "--mem '" + text + "': must be between 64M and 64G");
  }
  if (bytes % kGuestMemGranule != 0) {
    throw Error(ErrorKind::kUsage, "--mem '" + text + "': must be a multiple of 2M");
  }
  return bytes;
}

DiskOption ParseDiskOption(const std::string& text) {
  DiskOption disk;
  disk.path = text;
  if (auto comma = text.rfind(','); comma != std::string::npos) {
    std::string option = text.substr(comma + 1);
    if (option != "ro") {
      throw Error(ErrorKind::kUsage, "--disk '" + text + "': the only option is ',ro'");
    }
    disk.path = text.substr(0, comma);
    disk.read_only = true;
  }
  if (disk.path.empty()) throw Error(ErrorKind::kUsage, "--disk needs a file name");
  return disk;
}

const std::vector<FlagSpec>& RunFlagSpecs() {
  static const std::vector<FlagSpec> specs = {
      {"kernel", true,
       "the guest kernel: an uncompressed arm64/riscv64 Linux Image or a bare-metal ELF "
       "executable (required)"},
      {"kernel-raw", false,
       "the kernel is a plain binary: loaded and started at RAM + 0x80000 (arm64) or "
       "RAM + 0x200000 (riscv64)"},
      {"initrd", true, "an initramfs for the guest"},
      {"disk", true, "FILE[,ro]: a raw disk image as virtio-blk; ,ro makes it read-only"},
      {"append", true, "extra kernel command line arguments (after console=ttyS0)"},
      {"cmdline", true, "the guest's whole command line, verbatim (instead of --append)"},
      {"mem", true, "guest memory, e.g. 512M or 2G (default 1G)"},
      {"cpus", true, "number of vCPUs (only 1 is supported)"},
      {"dump-dtb", true, "also write the generated device tree to FILE"},
      {"timeout", true, "stop the guest after S seconds of host time (1 to 1000000000)"},
      {"seed", true,
       "N: the guest's boot entropy (rng-seed, kaslr-seed) from N (default: fixed for run, "
       "random per record)"},
  };
  return specs;
}

RunOptions MakeRunOptions(const std::vector<std::pair<std::string, std::string>>& flags) {
  RunOptions options;
  bool have_kernel = false;
  for (const auto& [name, value] : flags) {
    if (name == "kernel") {
      options.kernel = value;
      have_kernel = true;
    } else if (name == "initrd") {
      options.initrd = value;
    } else if (name == "disk") {
      options.disk = ParseDiskOption(value);
    } else if (name == "kernel-raw") {
      options.kernel_raw = true;
    } else if (name == "append") {
      options.append = value;
    } else if (name == "cmdline") {
      options.cmdline = value;
    } else if (name == "mem") {
      options.mem_bytes = ParseMemorySize(value);
    } else if (name == "cpus") {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
          value.size() > 9 || std::stoul(value) < 1 || std::stoul(value) > kMaxGuestCpus) {
        throw Error(ErrorKind::kUsage,
                    "--cpus '" + value + "': vmrr runs " +
                        (kMaxGuestCpus == 1 ? std::string("1 vCPU (replay runs one)")
                                            : "1 to " + std::to_string(kMaxGuestCpus) + " vCPUs"));
      }
      options.cpus = std::stoi(value);
    } else if (name == "dump-dtb") {
      options.dump_dtb = value;
    } else if (name == "timeout") {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
          value.size() > 10 || std::stoull(value) == 0 || std::stoull(value) > kMaxTimeoutSeconds) {
        throw Error(ErrorKind::kUsage, "--timeout '" + value + "': want 1 to " +
                                           std::to_string(kMaxTimeoutSeconds) + " seconds");
      }
      options.timeout_seconds = std::stoull(value);
    } else if (name == "seed") {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
          value.size() > 19) {
        throw Error(ErrorKind::kUsage, "--seed '" + value + "': want a number");
      }
      options.seed = std::stoull(value);
    }
  }
  if (options.cmdline && !options.append.empty()) {
    throw Error(ErrorKind::kUsage,
                "--cmdline is the whole command line, --append adds to vmrr's: give one of them");
  }
  if (!have_kernel || options.kernel.empty()) {
    throw Error(ErrorKind::kUsage, "--kernel is required");
  }
  RequireFile("kernel", options.kernel);
  if (options.initrd) RequireFile("initrd", *options.initrd);
  if (options.disk) {
    RequireFile("disk", options.disk->path);
    struct stat st{};
    stat(options.disk->path.c_str(), &st);
    if (st.st_size % 512 != 0) {
      throw Error(ErrorKind::kInput, "disk " + options.disk->path + ": size " +
                                         std::to_string(st.st_size) +
                                         " is not a multiple of 512 bytes");
    }
  }
  return options;
}

}  // namespace vmrr
