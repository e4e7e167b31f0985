#include "vmm/fdt_builder.h"

extern "C" {
#include <libfdt.h>
}

#include "base/error.h"

namespace vmrr {

FdtBuilder::FdtBuilder(size_t capacity) : buf_(capacity) {
  Check(fdt_create(buf_.data(), static_cast<int>(buf_.size())), "fdt_create");
  Check(fdt_finish_reservemap(buf_.data()), "fdt_finish_reservemap");
}

void FdtBuilder::Check(int err, const char* what) const {
  if (err != 0) {
    throw Error(ErrorKind::kInternal,
                std::string("device tree: ") + what + ": " + fdt_strerror(err));
  }
}

void FdtBuilder::BeginNode(const std::string& name) {
  Check(fdt_begin_node(buf_.data(), name.c_str()), "fdt_begin_node");
  ++depth_;
}

void FdtBuilder::EndNode() {
  if (depth_ == 0) throw Error(ErrorKind::kInternal, "device tree: EndNode without BeginNode");
  Check(fdt_end_node(buf_.data()), "fdt_end_node");
  --depth_;
}

void FdtBuilder::Property(const std::string& name, std::span<const uint8_t> bytes) {
  Check(fdt_property(buf_.data(), name.c_str(), bytes.data(), static_cast<int>(bytes.size())),
        "fdt_property");
}

void FdtBuilder::PropertyEmpty(const std::string& name) {
  Check(fdt_property(buf_.data(), name.c_str(), nullptr, 0), "fdt_property");
}

void FdtBuilder::PropertyString(const std::string& name, const std::string& value) {
  Check(fdt_property_string(buf_.data(), name.c_str(), value.c_str()), "fdt_property_string");
}

void FdtBuilder::PropertyStrings(const std::string& name,
                                 std::initializer_list<std::string> values) {
  std::string joined;
  for (const auto& v : values) {
    joined += v;
    joined.push_back('\0');
  }
  Property(name, std::span(reinterpret_cast<const uint8_t*>(joined.data()), joined.size()));
}

void FdtBuilder::PropertyU32(const std::string& name, uint32_t value) {
  Check(fdt_property_u32(buf_.data(), name.c_str(), value), "fdt_property_u32");
}

void FdtBuilder::PropertyU64(const std::string& name, uint64_t value) {
  Check(fdt_property_u64(buf_.data(), name.c_str(), value), "fdt_property_u64");
}

void FdtBuilder::PropertyCells(const std::string& name, std::initializer_list<uint32_t> cells) {
  PropertyCells(name, std::vector<uint32_t>(cells));
}

void FdtBuilder::PropertyCells(const std::string& name, const std::vector<uint32_t>& cells) {
  std::vector<uint8_t> bytes;
  bytes.reserve(cells.size() * 4);
  for (uint32_t c : cells) {
    fdt32_t be = cpu_to_fdt32(c);
    auto* p = reinterpret_cast<const uint8_t*>(&be);
    bytes.insert(bytes.end(), p, p + 4);
  }
  Property(name, bytes);
}

std::vector<uint8_t> FdtBuilder::Finish() {
  if (depth_ != 0) throw Error(ErrorKind::kInternal, "device tree: unclosed nodes at Finish");
  Check(fdt_finish(buf_.data()), "fdt_finish");
  Check(fdt_pack(buf_.data()), "fdt_pack");
  buf_.resize(fdt_totalsize(buf_.data()));
  return std::move(buf_);
}

}  // namespace vmrr
