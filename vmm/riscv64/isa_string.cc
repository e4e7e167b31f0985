#include "vmm/riscv64/isa_string.h"

#include <algorithm>

namespace vmrr::riscv64 {

const std::set<std::string>& HiddenExtensions() {
  static const std::set<std::string> hidden = {"h", "sscofpmf", "zkr"};
  return hidden;
}

std::string BuildIsaString(uint64_t single_letters, const std::vector<std::string>& multi_letter,
                           const std::set<std::string>& hidden) {
  // The canonical order of single-letter extensions.
  static constexpr char kOrder[] = "imafdqlcbkjtpvh";
  std::string isa = "rv64";
  for (const char* c = kOrder; *c != '\0'; ++c) {
    if ((single_letters >> (*c - 'a')) & 1 && !hidden.count(std::string(1, *c))) isa += *c;
  }
  std::vector<std::string> names;
  for (const std::string& name : multi_letter) {
    if (!hidden.count(name)) names.push_back(name);
  }
  // Multi-letter names: Z* first (ordered by name), then S*, as the spec orders them.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    bool az = a[0] == 'z', bz = b[0] == 'z';
    return az != bz ? az : a < b;
  });
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) isa += "_" + name;
  return isa;
}

}  // namespace vmrr::riscv64
