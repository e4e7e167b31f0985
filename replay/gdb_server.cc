#include "replay/gdb_server.h"

#include <sstream>
#include <vector>

namespace vmrr::gdb {

namespace {

constexpr uint64_t kMaxMemoryRead = 0x10000;

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Server::Server(ReplayDebugger& debugger, DebugVcpu& vcpu,
               std::function<std::string(const std::string&)> monitor)
    : debugger_(debugger), vcpu_(vcpu), monitor_(std::move(monitor)) {}

std::string Server::Receive(const char* data, size_t len) {
  reader_.Feed(data, len);
  std::string out;
  while (std::optional<Incoming> in = reader_.Next()) {
    switch (in->kind) {
      case Incoming::Kind::kAck:
      case Incoming::Kind::kGarbage:
      case Incoming::Kind::kInterrupt:  // not running: nothing to stop
        break;
      case Incoming::Kind::kNack:
        out += last_reply_;
        break;
      case Incoming::Kind::kBadChecksum:
        if (!no_ack_) out += "-";
        break;
      case Incoming::Kind::kPacket: {
        if (!no_ack_) out += "+";
        std::string reply = Handle(in->payload);
        if (detached_ && in->payload == "k") return out;  // no reply to a kill
        last_reply_ = Frame(reply);
        out += last_reply_;
        if (in->payload == "QStartNoAckMode") no_ack_ = true;
        if (detached_) return out;
        break;
      }
    }
  }
  return out;
}

std::string Server::StopReply(const ReplayDebugger::Stop& stop) {
  std::string reply;
  switch (stop.kind) {
    case ReplayDebugger::Stop::Kind::kStep:
      reply = "T05thread:01;";
      break;
    case ReplayDebugger::Stop::Kind::kBreakpoint: {
      auto it = breakpoint_kinds_.find(stop.address);
      bool hardware = it != breakpoint_kinds_.end() && it->second == '1';
      reply = std::string("T05thread:01;") + (hardware ? "hwbreak:;" : "swbreak:;");
      break;
    }
    case ReplayDebugger::Stop::Kind::kWatchpoint:
      reply = "T05thread:01;watch:" + HexU64(stop.address) + ";";
      break;
    case ReplayDebugger::Stop::Kind::kInterrupted:
      reply = "T02thread:01;";
      break;
    case ReplayDebugger::Stop::Kind::kHistoryStart:
      reply = "T05thread:01;replaylog:begin;";
      break;
    case ReplayDebugger::Stop::Kind::kHistoryEnd:
    case ReplayDebugger::Stop::Kind::kDiverged:
      reply = "T05thread:01;replaylog:end;";
      break;
  }
  last_stop_ = reply;
  return reply;
}

std::string Server::Resume(char action, bool reverse) {
  ReplayDebugger::Stop stop;
  if (action == 'c') {
    stop = reverse ? debugger_.ReverseContinue() : debugger_.Continue();
  } else {
    stop = reverse ? debugger_.ReverseStepInstruction() : debugger_.StepInstruction();
  }
  return StopReply(stop);
}

std::string Server::VCont(const std::string& args) {
  if (args == "?") return "vCont;c;C;s;S";
  // ";action[:thread]..." : the first action for thread 1 or all threads.
  for (const std::string& item : Split(args, ';')) {
    if (item.empty()) continue;
    std::string action = item.substr(0, item.find(':'));
    std::string thread = item.find(':') == std::string::npos ? "" : item.substr(item.find(':') + 1);
    if (!thread.empty() && thread != "1" && thread != "-1" && thread != "p1.1" &&
        thread != "p1.-1") {
      continue;
    }
    if (action.empty()) return "E01";
    if (action[0] == 'c' || action[0] == 'C') return Resume('c', false);
    if (action[0] == 's' || action[0] == 'S') return Resume('s', false);
    return "E01";
  }
  return "E01";
}

std::string Server::ReadMemory(const std::string& args) {
  size_t comma = args.find(',');
  if (comma == std::string::npos) return "E01";
  std::optional<uint64_t> address = ParseHex(args.substr(0, comma));
  std::optional<uint64_t> len = ParseHex(args.substr(comma + 1));
  if (!address || !len) return "E01";
  if (*len > kMaxMemoryRead) len = kMaxMemoryRead;
  std::string bytes;
  // Byte by byte down to what is readable, as gdb expects at a boundary.
  if (!vcpu_.ReadMemory(*address, physical_, *len, &bytes)) {
    bytes.clear();
    std::string one;
    for (uint64_t i = 0; i < *len && vcpu_.ReadMemory(*address + i, physical_, 1, &one); ++i) {
      bytes += one;
    }
    if (bytes.empty()) return "E14";
  }
  return Hex(bytes);
}

std::string Server::Breakpoint(bool insert, const std::string& args) {
  std::vector<std::string> parts = Split(args, ',');
  if (parts.size() < 3 || parts[0].size() != 1) return "E01";
  std::optional<uint64_t> address = ParseHex(parts[1]);
  std::optional<uint64_t> kind = ParseHex(parts[2]);
  if (!address || !kind) return "E01";
  switch (parts[0][0]) {
    case '0':
    case '1':
      if (insert) {
        debugger_.AddBreakpoint(*address);
        breakpoint_kinds_[*address] = parts[0][0];
      } else {
        debugger_.RemoveBreakpoint(*address);
        breakpoint_kinds_.erase(*address);
      }
      return "OK";
    case '2':
      if (!insert) {
        debugger_.RemoveWatchpoint(*address, *kind);
        return "OK";
      }
      return debugger_.AddWatchpoint(*address, *kind) ? "OK" : "E14";
    default:
      return "";  // read and access watchpoints: not supported
  }
}

std::string Server::Features(const std::string& args) {
  // annex:offset,length
  size_t colon = args.find(':');
  if (colon == std::string::npos) return "E00";
  std::string annex = args.substr(0, colon);
  std::string range = args.substr(colon + 1);
  size_t comma = range.find(',');
  if (comma == std::string::npos) return "E00";
  std::optional<uint64_t> offset = ParseHex(range.substr(0, comma));
  std::optional<uint64_t> length = ParseHex(range.substr(comma + 1));
  if (!offset || !length) return "E00";
  std::string xml = vcpu_.TargetDescription(annex);
  if (xml.empty()) return "E00";
  if (*offset >= xml.size()) return "l";
  std::string part = xml.substr(*offset, *length);
  return (*offset + part.size() >= xml.size() ? "l" : "m") + part;
}

std::string Server::Query(const std::string& packet) {
  if (StartsWith(packet, "qSupported")) {
    return "PacketSize=20000;QStartNoAckMode+;qXfer:features:read+;swbreak+;hwbreak+;"
           "ReverseContinue+;ReverseStep+;vContSupported+";
  }
  if (StartsWith(packet, "qXfer:features:read:")) {
    return Features(packet.substr(std::string("qXfer:features:read:").size()));
  }
  if (packet == "qfThreadInfo") return "m1";
  if (packet == "qsThreadInfo") return "l";
  if (packet == "qC") return "QC1";
  if (packet == "qAttached") return "1";
  if (StartsWith(packet, "qSymbol")) return "OK";
  if (StartsWith(packet, "qRcmd,")) {
    std::optional<std::string> command = Unhex(packet.substr(6));
    if (!command) return "E01";
    std::string text = monitor_ ? monitor_(*command) : "no monitor commands\n";
    if (!text.empty() && text.back() != '\n') text += "\n";
    return Hex(text);
  }
  if (StartsWith(packet, "qThreadExtraInfo,")) return Hex(std::string("vCPU 0"));
  return "";
}

std::string Server::Handle(const std::string& packet) {
  if (packet.empty()) return "";
  char c = packet[0];
  std::string args = packet.substr(1);
  switch (c) {
    case '?':
      return last_stop_;
    case 'q':
      return Query(packet);
    case 'Q':
      if (packet == "QStartNoAckMode") return "OK";
      if (packet == "Qqemu.PhyMemMode:1" || packet == "Qqemu.PhyMemMode:0") {
        physical_ = packet.back() == '1';
        return "OK";
      }
      return "";
    case 'g': {
      std::string all;
      for (const std::string& reg : vcpu_.Registers()) all += Hex(reg);
      return all;
    }
    case 'p': {
      std::optional<uint64_t> n = ParseHex(args);
      std::vector<std::string> regs = vcpu_.Registers();
      if (!n || *n >= regs.size()) return "E01";
      return Hex(regs[*n]);
    }
    case 'G':
    case 'P':
    case 'M':
    case 'X':
      return "E01";  // the replay cannot be changed
    case 'm':
      return ReadMemory(args);
    case 'Z':
    case 'z':
      return Breakpoint(c == 'Z', args);
    case 'c':
    case 's':
      if (!args.empty()) return "E01";  // resuming elsewhere would change the guest
      return Resume(c, false);
    case 'b':
      if (args == "c") return Resume('c', true);
      if (args == "s") return Resume('s', true);
      return "E01";
    case 'v':
      if (packet == "vCont?") return VCont("?");
      if (StartsWith(packet, "vCont;")) return VCont(packet.substr(5));
      if (StartsWith(packet, "vKill")) {
        detached_ = true;
        return "OK";
      }
      return "";
    case 'H':
    case 'T':
      return "OK";
    case 'D':
      detached_ = true;
      return "OK";
    case 'k':
      detached_ = true;
      return "";
    default:
      return "";
  }
}

}  // namespace vmrr::gdb
