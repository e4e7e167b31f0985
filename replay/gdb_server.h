// The gdb remote stub of `vmrr replay --gdb`: answers gdb's packets over a
// ReplayDebugger.  Registers and memory are read, never written (a write
// would make the replay diverge: 'G', 'P', 'M', 'X' get an error, as rr
// answers); breakpoints Z0/Z1, write watchpoints Z2, continue and step in
// both directions (bc/bs, advertised as ReverseContinue+/ReverseStep+),
// Ctrl-C, one thread, the target description from qXfer:features:read, and
// monitor commands (qRcmd) handled by the caller's callback.  Pure: bytes
// in, bytes out; the connection is the caller's (vmm/gdb_connection).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "replay/debug_vcpu.h"
#include "replay/gdb_protocol.h"
#include "replay/replay_debugger.h"

namespace vmrr::gdb {

class Server {
 public:
  // `monitor` answers `monitor COMMAND` with the text gdb prints.
  Server(ReplayDebugger& debugger, DebugVcpu& vcpu,
         std::function<std::string(const std::string&)> monitor);

  // Bytes from the connection; returns the bytes to send back (acks and
  // replies).  Packets that run the replay return only when it stops.
  std::string Receive(const char* data, size_t len);
  // gdb detached (D) or killed (k): the connection is over.
  bool detached() const { return detached_; }
  // The reply one packet gets (no framing): for tests and logs.
  std::string Handle(const std::string& packet);
  // Guest addresses are physical (Qqemu.PhyMemMode:1, monitor phys on).
  void set_physical(bool on) { physical_ = on; }
  bool physical() const { return physical_; }

  // The stop reply for a debugger stop ("T05thread:01;swbreak:;", ...).
  std::string StopReply(const ReplayDebugger::Stop& stop);

 private:
  std::string Query(const std::string& packet);
  std::string ReadMemory(const std::string& args);
  std::string Breakpoint(bool insert, const std::string& args);
  std::string Resume(char action, bool reverse);
  std::string VCont(const std::string& args);
  std::string Features(const std::string& args);

  ReplayDebugger& debugger_;
  DebugVcpu& vcpu_;
  std::function<std::string(const std::string&)> monitor_;
  PacketReader reader_;
  std::string last_reply_;  // framed, for a '-'
  std::string last_stop_ = "T05thread:01;";
  std::map<uint64_t, char> breakpoint_kinds_;  // pc -> '0' software, '1' hardware
  bool no_ack_ = false;
  bool detached_ = false;
  bool physical_ = false;
};

}  // namespace vmrr::gdb
