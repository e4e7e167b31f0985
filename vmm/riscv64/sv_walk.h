// Guest virtual to guest physical addresses through a riscv64 guest's own
// page tables (satp: Sv39, Sv48 or Sv57; bare when satp.MODE is 0), for the
// debugger's memory reads and the kernel's place (KASLR).  Pure: reads
// 64-bit page table entries through a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace vmrr::riscv64 {

using ReadPhysical64 = std::function<std::optional<uint64_t>(uint64_t gpa)>;

std::optional<uint64_t> TranslateVirtual(uint64_t va, uint64_t satp, const ReadPhysical64& read);

// Every leaf mapping of the page tables whose virtual range lies in
// [va_begin, va_end): callback(va, pa, size); stops early when it returns
// false.  Sparse tables walk quickly (only valid entries are visited).
void ForEachMapping(uint64_t satp, uint64_t va_begin, uint64_t va_end, const ReadPhysical64& read,
                    const std::function<bool(uint64_t va, uint64_t pa, uint64_t size)>& callback);

}  // namespace vmrr::riscv64
