#include "replay/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace vmrr {
namespace {

std::string HexOf(const std::string& s) { return Sha256::Hex(Sha256::Of(s.data(), s.size())); }

// FIPS 180-4 examples and the classic million 'a'.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(HexOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(HexOf(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecesGiveTheSameDigest) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 13));
  for (size_t step : {1u, 3u, 63u, 64u, 65u, 200u}) {
    Sha256 sha;
    for (size_t at = 0; at < data.size(); at += step) {
      sha.Update(data.data() + at, std::min(step, data.size() - at));
    }
    EXPECT_EQ(Sha256::Hex(sha.Finish()), HexOf(data)) << step;
  }
}

}  // namespace
}  // namespace vmrr
