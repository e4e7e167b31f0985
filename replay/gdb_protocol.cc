#include "replay/gdb_protocol.h"

namespace vmrr::gdb {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Incoming> PacketReader::Next() {
  while (!buffer_.empty()) {
    char c = buffer_[0];
    if (c == '+' || c == '-' || c == '\x03') {
      buffer_.erase(0, 1);
      return Incoming{c == '+'   ? Incoming::Kind::kAck
                      : c == '-' ? Incoming::Kind::kNack
                                 : Incoming::Kind::kInterrupt,
                      ""};
    }
    if (c != '$') {
      size_t next = buffer_.find_first_of("$+-\x03");
      std::string junk = buffer_.substr(0, next);
      buffer_.erase(0, next == std::string::npos ? buffer_.size() : next);
      return Incoming{Incoming::Kind::kGarbage, junk};
    }
    size_t hash = buffer_.find('#');
    if (hash == std::string::npos) {
      if (buffer_.size() > kMaxPacket) {
        std::string junk;
        junk.swap(buffer_);
        return Incoming{Incoming::Kind::kGarbage, junk.substr(0, 64)};
      }
      return std::nullopt;  // wait for more
    }
    if (buffer_.size() < hash + 3) return std::nullopt;
    std::string raw = buffer_.substr(1, hash - 1);
    int hi = HexDigit(buffer_[hash + 1]), lo = HexDigit(buffer_[hash + 2]);
    buffer_.erase(0, hash + 3);
    uint8_t sum = 0;
    for (char ch : raw) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(ch));
    if (hi < 0 || lo < 0 || sum != static_cast<uint8_t>(hi * 16 + lo)) {
      return Incoming{Incoming::Kind::kBadChecksum, raw};
    }
    std::string payload;
    payload.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '}' && i + 1 < raw.size()) {
        payload.push_back(static_cast<char>(raw[++i] ^ 0x20));
      } else {
        payload.push_back(raw[i]);
      }
    }
    return Incoming{Incoming::Kind::kPacket, payload};
  }
  return std::nullopt;
}

std::string Frame(const std::string& payload) {
  std::string out = "$";
  uint8_t sum = 0;
  for (char c : payload) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out.push_back('}');
      sum = static_cast<uint8_t>(sum + '}');
      c = static_cast<char>(c ^ 0x20);
    }
    out.push_back(c);
    sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  }
  static const char kDigits[] = "0123456789abcdef";
  out.push_back('#');
  out.push_back(kDigits[sum >> 4]);
  out.push_back(kDigits[sum & 15]);
  return out;
}

std::string Hex(const uint8_t* data, size_t len) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

std::string HexU64(uint64_t value) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value & 15]);
    value >>= 4;
  } while (value != 0);
  return out;
}

std::optional<std::string> Unhex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::optional<uint64_t> ParseHex(const std::string& hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : hex) {
    int d = HexDigit(c);
    if (d < 0) return std::nullopt;
    value = value << 4 | static_cast<uint64_t>(d);
  }
  return value;
}

}  // namespace vmrr::gdb
