#include "vmm/arm64/exclusive_sequence.h"

#include <gtest/gtest.h>

#include <map>

namespace vmrr::arm64 {
namespace {

// Encodings from the Arm ARM (checked against GNU as).
constexpr uint32_t kLdxrW1X0 = 0x885f7c01;     // ldxr w1, [x0]
constexpr uint32_t kLdaxrX1X0 = 0xc85ffc01;    // ldaxr x1, [x0]
constexpr uint32_t kStxrW2W1X0 = 0x88027c01;   // stxr w2, w1, [x0]
constexpr uint32_t kStlxrW2X1X0 = 0xc802fc01;  // stlxr w2, x1, [x0]
constexpr uint32_t kCbnzW2 = 0x35ffffa2;       // cbnz w2, .-12
constexpr uint32_t kCasalX1X2X0 = 0xc8e1fc02;  // casal x1, x2, [x0]
constexpr uint32_t kLdrX1X0 = 0xf9400001;      // ldr x1, [x0]
constexpr uint32_t kNop = 0xd503201f;
constexpr uint32_t kLdxpX1X2X0 = 0xc87f0801;    // ldxp x1, x2, [x0]
constexpr uint32_t kStxpW3X1X2X0 = 0xc8230801;  // stxp w3, x1, x2, [x0]

TEST(ExclusiveSequenceTest, ClassifiesExclusives) {
  EXPECT_TRUE(IsLoadExclusive(kLdxrW1X0));
  EXPECT_TRUE(IsLoadExclusive(kLdaxrX1X0));
  EXPECT_TRUE(IsStoreExclusive(kStxrW2W1X0));
  EXPECT_TRUE(IsStoreExclusive(kStlxrW2X1X0));
  EXPECT_TRUE(IsLoadExclusive(kLdxpX1X2X0));
  EXPECT_TRUE(IsStoreExclusive(kStxpW3X1X2X0));
  for (uint32_t other : {kCbnzW2, kCasalX1X2X0, kLdrX1X0, kNop}) {
    EXPECT_FALSE(IsLoadExclusive(other)) << std::hex << other;
    EXPECT_FALSE(IsStoreExclusive(other)) << std::hex << other;
  }
}

TEST(ExclusiveSequenceTest, NamesTheLoopAroundThePc) {
  std::map<uint64_t, uint32_t> code;
  uint64_t base = 0xffff800080010000ull;
  for (uint64_t i = 0; i < 64; ++i) code[base + i * 4] = kNop;
  code[base + 0x40] = kLdaxrX1X0;
  code[base + 0x48] = kStlxrW2X1X0;
  code[base + 0x4c] = kCbnzW2;
  auto read = [&code](uint64_t va) -> std::optional<uint32_t> {
    auto it = code.find(va);
    if (it == code.end()) return std::nullopt;
    return it->second;
  };
  std::string note = ExclusiveSequenceNote(base + 0x4c, read);
  EXPECT_NE(note.find("load-exclusive at 0xffff800080010040, store-exclusive at "
                      "0xffff800080010048"),
            std::string::npos)
      << note;
  EXPECT_EQ(ExclusiveSequenceNote(base + 0x200, read), "") << "too far from the loop";
  code[base + 0x48] = kNop;
  EXPECT_EQ(ExclusiveSequenceNote(base + 0x4c, read), "") << "a load-exclusive alone";
}

}  // namespace
}  // namespace vmrr::arm64
