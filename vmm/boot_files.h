// Reading the files a guest boots from, with one-line errors naming them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vmrr {

// The whole file; throws Error(kInput) "<what> <path>: <reason>".
std::vector<uint8_t> ReadBootFile(const std::string& what, const std::string& path);
// Writes `bytes` to `path` (for --dump-dtb); throws Error(kInput).
void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace vmrr
