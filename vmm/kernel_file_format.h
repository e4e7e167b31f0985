// Recognising the files people pass as --kernel by mistake.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vmrr {

// "it is gzip-compressed (gunzip it first)" or "it is an ELF file (use
// arch/<arch_dir>/boot/Image)" for those formats, "it is a riscv64 Linux
// Image, for riscv64 hosts" for either architecture's Image (called when
// the file is not the host's own); "" otherwise.
std::string DescribeNonImage(std::span<const uint8_t> file, const std::string& arch_dir);

}  // namespace vmrr
