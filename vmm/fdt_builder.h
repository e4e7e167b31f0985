// Builds a flattened device tree with libfdt's sequential-write API.  Nodes
// are opened and closed in order; any libfdt failure throws Error(kInternal).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace vmrr {

class FdtBuilder {
 public:
  explicit FdtBuilder(size_t capacity = 64 * 1024);

  void BeginNode(const std::string& name);
  void EndNode();
  void Property(const std::string& name, std::span<const uint8_t> bytes);
  void PropertyEmpty(const std::string& name);
  void PropertyString(const std::string& name, const std::string& value);
  // A string list ("a\0b\0").
  void PropertyStrings(const std::string& name, std::initializer_list<std::string> values);
  void PropertyU32(const std::string& name, uint32_t value);
  void PropertyU64(const std::string& name, uint64_t value);
  // Big-endian u32 cells.
  void PropertyCells(const std::string& name, std::initializer_list<uint32_t> cells);
  void PropertyCells(const std::string& name, const std::vector<uint32_t>& cells);
  // A fresh phandle value for a node about to reference itself.
  uint32_t NewPhandle() { return next_phandle_++; }

  // Closes the tree and returns the blob (all nodes must be closed).
  std::vector<uint8_t> Finish();

 private:
  void Check(int err, const char* what) const;
  std::vector<uint8_t> buf_;
  int depth_ = 0;
  uint32_t next_phandle_ = 1;
};

}  // namespace vmrr
