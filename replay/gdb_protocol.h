// The framing of gdb's remote serial protocol: packets "$payload#cs" with a
// two-digit checksum, '+'/'-' acknowledgements, Ctrl-C (0x03) to interrupt,
// and '}' escapes for '#', '$', '}' and '*' in binary payloads.  Pure: the
// stub (replay/gdb_server.h) reads bytes from any connection through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmrr::gdb {

struct Incoming {
  enum class Kind {
    kPacket,       // payload holds the unescaped packet
    kInterrupt,    // Ctrl-C
    kAck,          // '+'
    kNack,         // '-': resend the last reply
    kBadChecksum,  // a packet whose checksum did not match (answer '-')
    kGarbage,      // bytes between packets that mean nothing (ignored)
  };
  Kind kind;
  std::string payload;
};

class PacketReader {
 public:
  // A packet longer than this (no '#' in sight) is garbage, not memory use.
  static constexpr size_t kMaxPacket = 1 << 20;

  void Feed(const char* data, size_t len) { buffer_.append(data, len); }
  // The next complete item, if the bytes fed so far hold one.
  std::optional<Incoming> Next();

 private:
  std::string buffer_;
};

// "$" + payload (escaped) + "#" + checksum.
std::string Frame(const std::string& payload);

std::string Hex(const uint8_t* data, size_t len);
inline std::string Hex(const std::string& bytes) {
  return Hex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}
std::string HexU64(uint64_t value);  // big-endian digits, no leading zeros
// Hex digits to bytes; nullopt for odd lengths or non-hex characters.
std::optional<std::string> Unhex(const std::string& hex);
// A hex number (at most 16 digits); nullopt otherwise.
std::optional<uint64_t> ParseHex(const std::string& hex);

}  // namespace vmrr::gdb
