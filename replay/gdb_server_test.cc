// The gdb stub over a replay of the simulated guest: every supported packet,
// malformed ones, and running both ways with breakpoints and watchpoints
// over the recorded history.
#include "replay/gdb_server.h"

#include <gtest/gtest.h>

#include <cstring>

#include "replay/event_source.h"
#include "replay/fake_guest.h"
#include "replay/fake_recording.h"

namespace vmrr::gdb {
namespace {

using vmrr::testing::FakeGuest;
using vmrr::testing::Recording;

// The console: what the guest wrote, cut back on restore.
class OutputLog : public Checkpointable {
 public:
  std::string text;
  std::any SaveState() override { return text.size(); }
  void RestoreState(const std::any& state) override { text.resize(std::any_cast<size_t>(state)); }
};

struct Stub {
  explicit Stub(const Recording& rec)
      : guest(vmrr::testing::TestProgram(400), 0, 7), source(rec.events, &rec.end) {
    ReplayConfig config;
    config.mmio_write = [this](uint64_t gpa, uint64_t value, uint32_t) {
      if (gpa == vmrr::testing::kOutputReg) log.text.push_back(static_cast<char>(value));
    };
    replayer = std::make_unique<Replayer>(guest, source, config);
    timeline = std::make_unique<ReplayTimeline>(
        *replayer, guest, std::vector<Checkpointable*>{&log}, std::chrono::hours(1));
    debugger =
        std::make_unique<ReplayDebugger>(*replayer, *timeline, guest, [this] { return interrupt; });
    server = std::make_unique<Server>(*debugger, guest, [this](const std::string& command) {
      monitored.push_back(command);
      return "count " + std::to_string(debugger->position());
    });
  }
  std::string Ask(const std::string& packet) { return server->Handle(packet); }
  // Registers and PC as gdb sees them.
  std::string Regs() { return Ask("g"); }

  FakeGuest guest;
  VectorEventSource source;
  OutputLog log;
  std::unique_ptr<Replayer> replayer;
  std::unique_ptr<ReplayTimeline> timeline;
  std::unique_ptr<ReplayDebugger> debugger;
  std::unique_ptr<Server> server;
  std::vector<std::string> monitored;
  bool interrupt = false;
};

uint64_t RegisterValue(const std::string& g, size_t index) {
  std::optional<std::string> bytes = Unhex(g.substr(index * 16, 16));
  uint64_t v = 0;
  std::memcpy(&v, bytes->data(), 8);
  return v;
}

TEST(GdbProtocol, FramingChecksumsAndEscapes) {
  EXPECT_EQ(Frame("OK"), "$OK#9a");
  EXPECT_EQ(Frame("a#b"), std::string("$a}\x03"
                                      "b#43"));
  PacketReader reader;
  std::string wire = "+$qSupported#37\x03junk$m0,4#fd$bad#00-";
  reader.Feed(wire.data(), wire.size());
  std::vector<Incoming::Kind> kinds;
  std::vector<std::string> payloads;
  while (std::optional<Incoming> in = reader.Next()) {
    kinds.push_back(in->kind);
    payloads.push_back(in->payload);
  }
  using K = Incoming::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kAck, K::kPacket, K::kInterrupt, K::kGarbage, K::kPacket,
                                   K::kBadChecksum, K::kNack}));
  EXPECT_EQ(payloads[1], "qSupported");
  EXPECT_EQ(payloads[4], "m0,4");
  // A packet never closed is garbage once it is too long, not memory.
  std::string endless = "$" + std::string(PacketReader::kMaxPacket + 10, 'x');
  reader.Feed(endless.data(), endless.size());
  ASSERT_TRUE(reader.Next().has_value());
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_EQ(Unhex("4f4B"), "OK");
  EXPECT_FALSE(Unhex("4").has_value());
  EXPECT_FALSE(ParseHex("12345678901234567").has_value());
  EXPECT_EQ(HexU64(0), "0");
  EXPECT_EQ(HexU64(0xffff800080000000), "ffff800080000000");
}

TEST(GdbServer, AnswersEverySupportedPacketAndRefusesWrites) {
  Recording rec = vmrr::testing::Record(3);
  Stub s(rec);
  std::string supported = s.Ask("qSupported:multiprocess+;swbreak+;hwbreak+");
  for (const char* feature : {"ReverseContinue+", "ReverseStep+", "qXfer:features:read+",
                              "swbreak+", "QStartNoAckMode+"}) {
    EXPECT_NE(supported.find(feature), std::string::npos) << feature;
  }
  std::string xml = s.Ask("qXfer:features:read:target.xml:0,ffff");
  EXPECT_EQ(xml[0], 'l');
  EXPECT_NE(xml.find("<reg name=\"pc\""), std::string::npos);
  EXPECT_EQ(s.Ask("qXfer:features:read:target.xml:0,10")[0], 'm');
  EXPECT_EQ(s.Ask("qXfer:features:read:nope.xml:0,10"), "E00");
  EXPECT_EQ(s.Ask("?"), "T05thread:01;");
  EXPECT_EQ(s.Ask("qfThreadInfo"), "m1");
  EXPECT_EQ(s.Ask("qsThreadInfo"), "l");
  EXPECT_EQ(s.Ask("qC"), "QC1");
  EXPECT_EQ(s.Ask("qAttached"), "1");
  EXPECT_EQ(s.Ask("Hg1"), "OK");
  EXPECT_EQ(s.Ask("vCont?"), "vCont;c;C;s;S");
  EXPECT_EQ(s.Regs().size(), 5u * 16);
  EXPECT_EQ(RegisterValue(s.Regs(), 4), 0u);  // pc at the start
  EXPECT_EQ(s.Ask("p4"), std::string(16, '0'));
  EXPECT_EQ(s.Ask("m0,4"), "00000000");
  EXPECT_EQ(s.Ask("m0,100000").size(), 2u * 4096);  // cut at the end of memory
  EXPECT_EQ(s.Ask("m99999,4"), "E14");
  for (const char* write : {"G00", "P4=01", "M0,1:ff", "X0,1:a"}) {
    EXPECT_EQ(s.Ask(write), "E01") << write;
  }
  EXPECT_EQ(s.Ask("c1234"), "E01");  // resuming elsewhere
  EXPECT_EQ(s.Ask("Z3,10,4"), "");   // read watchpoints: unsupported
  EXPECT_EQ(s.Ask("qRcmd," + Hex(std::string("when"))), Hex(std::string("count 0\n")));
  EXPECT_EQ(s.monitored, (std::vector<std::string>{"when"}));
  EXPECT_EQ(s.Ask("Qqemu.PhyMemMode:1"), "OK");
  EXPECT_TRUE(s.server->physical());
  EXPECT_EQ(s.Ask("vMustReplyEmpty"), "");
  EXPECT_EQ(s.Ask("s"), "T05thread:01;");
  EXPECT_EQ(s.debugger->position(), 1u);
  EXPECT_EQ(s.Ask("bs"), "T05thread:01;");
  EXPECT_EQ(s.debugger->position(), 0u);
  EXPECT_EQ(s.Ask("bs"), "T05thread:01;replaylog:begin;");
  EXPECT_EQ(s.Ask("D"), "OK");
  EXPECT_TRUE(s.server->detached());
}

TEST(GdbServer, MalformedPacketsGetErrorsNotCrashes) {
  Recording rec = vmrr::testing::Record(4);
  Stub s(rec);
  for (const char* bad : {"m", "mzz,4", "m0,", "m,4", "Z0,", "Z0,zz,4", "Z", "z1", "p", "pzz",
                          "p99", "bx", "b", "qRcmd,zz", "vCont;x", "vCont;", "qXfer:features:read:",
                          "qXfer:features:read:target.xml:", "Z2,99999,4"}) {
    std::string reply = s.Ask(bad);
    EXPECT_TRUE(reply.empty() || reply[0] == 'E') << bad << " -> " << reply;
  }
  // Over the wire: a bad checksum is nacked, acks and garbage are ignored,
  // and the session goes on.
  std::string wire = "$g#00+junk$qC#b4";
  std::string out = s.server->Receive(wire.data(), wire.size());
  EXPECT_EQ(out, "-+" + Frame("QC1"));
  std::string again = "-";
  EXPECT_EQ(s.server->Receive(again.data(), 1), Frame("QC1"));
  std::string no_ack = "$QStartNoAckMode#b0$qC#b4";
  EXPECT_EQ(s.server->Receive(no_ack.data(), no_ack.size()), "+" + Frame("OK") + Frame("QC1"));
}

// Breakpoints forward, then back: reverse-continue goes to the hit before,
// and reverse-stepi / stepi retrace the same states.
TEST(GdbServer, RunsBothWaysOverTheHistory) {
  Recording rec = vmrr::testing::Record(5);
  ASSERT_GT(rec.interrupts, 5u);
  Stub s(rec);
  EXPECT_EQ(s.Ask("Z0,64,4"), "OK");  // the interrupt handler (pc 100)
  std::vector<uint64_t> hits;
  std::vector<std::string> regs_at_hit;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(s.Ask("c"), "T05thread:01;swbreak:;");
    EXPECT_EQ(RegisterValue(s.Regs(), 4), 100u);
    hits.push_back(s.debugger->position());
    regs_at_hit.push_back(s.Regs());
    // Checkpoints where the guest stands, and a few instructions on (the
    // automatic ones depend on host time: these make the test repeatable).
    if (s.replayer->settled()) s.timeline->Take();
    for (int k = 0; k < 2 * i + 1; ++k) EXPECT_EQ(s.Ask("s"), "T05thread:01;");
    if (s.replayer->settled()) s.timeline->Take();
  }
  EXPECT_LT(hits[0], hits[1]);
  // Back to the hits before, newest first (the guest stands after the last).
  for (int i = 3; i >= 0; --i) {
    ASSERT_EQ(s.Ask("bc"), "T05thread:01;swbreak:;") << i;
    EXPECT_EQ(s.debugger->position(), hits[i]);
    EXPECT_EQ(s.Regs(), regs_at_hit[i]);
  }
  // Before the first hit there is none: the start of history.
  EXPECT_EQ(s.Ask("bc"), "T05thread:01;replaylog:begin;");
  EXPECT_EQ(s.debugger->position(), 0u);
  // Forward to hit 2 and one instruction on (a breakpoint on an interrupt
  // vector stops after the interrupt was taken, which no step stops at);
  // three instructions back and three forward again.
  EXPECT_EQ(s.Ask("c"), "T05thread:01;swbreak:;");
  EXPECT_EQ(s.Ask("c"), "T05thread:01;swbreak:;");
  EXPECT_EQ(s.Ask("z0,64,4"), "OK");
  EXPECT_EQ(s.Ask("s"), "T05thread:01;");
  std::string at = s.Regs();
  ReplayDebugger::Position where = s.debugger->where();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.Ask("bs"), "T05thread:01;");
  EXPECT_LT(s.debugger->where(), where);
  EXPECT_NE(s.Regs(), at);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.Ask("vCont;s:1"), "T05thread:01;");
  EXPECT_EQ(s.debugger->where(), where);
  EXPECT_EQ(s.Regs(), at);
  // On to the end: the replay still checks every point and ends as recorded.
  EXPECT_EQ(s.Ask("c"), "T05thread:01;replaylog:end;");
  EXPECT_EQ(s.replayer->result().kind, ReplayResult::Kind::kFinished)
      << s.replayer->result().report;
  EXPECT_EQ(s.log.text, rec.output);
  EXPECT_GT(s.timeline->restores(), 0u);
}

TEST(GdbServer, ABreakpointNotMappedYetIsArmedOnceItIs) {
  Recording rec = vmrr::testing::Record(5);
  Stub s(rec);
  const uint64_t mapped = rec.end.at().instructions() / 2;
  s.guest.set_breakpoints_mapped_from(mapped);
  EXPECT_EQ(s.Ask("Z0,64,4"), "OK");  // the interrupt handler (pc 100)
  ASSERT_EQ(s.Ask("c"), "T05thread:01;swbreak:;");
  EXPECT_EQ(RegisterValue(s.Regs(), 4), 100u);
  EXPECT_GE(s.debugger->position(), mapped);
}

// A watchpoint on bytes the device writes (DMA): forward it stops just after
// the write that changed them; backward just before it.
TEST(GdbServer, WatchpointsStopAtTheWriteBothWays) {
  Recording rec = vmrr::testing::Record(6);
  Stub s(rec);
  std::string before = s.Ask("m12c,4");  // offset 300, inside the DMA block
  ASSERT_EQ(s.Ask("Z2,12c,4"), "OK");
  ASSERT_EQ(s.Ask("c"), "T05thread:01;watch:12c;");
  uint64_t changed = s.debugger->position();
  std::string after = s.Ask("m12c,4");
  EXPECT_NE(after, before);
  // One instruction before, the old value.
  EXPECT_EQ(s.Ask("bs"), "T05thread:01;");
  EXPECT_EQ(s.Ask("m12c,4"), before);
  EXPECT_EQ(s.Ask("s"), "T05thread:01;watch:12c;");
  EXPECT_EQ(s.debugger->position(), changed);
  // Further on, then back with reverse-continue: to just before that write
  // (or a later one that changed the bytes again).
  EXPECT_EQ(s.Ask("z2,12c,4"), "OK");
  for (int i = 0; i < 30; ++i) s.Ask("s");
  ASSERT_EQ(s.Ask("Z2,12c,4"), "OK");
  EXPECT_EQ(s.Ask("bc"), "T05thread:01;watch:12c;");
  EXPECT_LT(s.debugger->position(), changed + 30);
  std::string old_value = s.Ask("m12c,4");
  EXPECT_EQ(s.Ask("s"), "T05thread:01;watch:12c;");
  EXPECT_NE(s.Ask("m12c,4"), old_value);
}

TEST(GdbServer, ACtrlCStopsAContinue) {
  Recording rec = vmrr::testing::Record(8);
  Stub s(rec);
  s.interrupt = true;
  EXPECT_EQ(s.Ask("c"), "T02thread:01;");
  EXPECT_FALSE(s.replayer->finished());
}

// A breakpoint at the PC of an event's exit, set while standing there:
// reverse-continue goes to the hit before (or the start), never stays put
// (the rig showed it going to the same instruction before its exit).
TEST(GdbServer, ReverseContinueFromAnExitsPointGoesBack) {
  Recording rec = vmrr::testing::Record(5);
  for (uint64_t event : {20u, 35u, 60u}) {
    Stub s(rec);
    s.debugger->GoTo(StepConstraints::ToEvent(event));
    ReplayDebugger::Position at = s.debugger->where();
    uint64_t pc = RegisterValue(s.Regs(), 4);
    char z0[32];
    std::snprintf(z0, sizeof(z0), "Z0,%llx,4", static_cast<unsigned long long>(pc));
    ASSERT_EQ(s.Ask(z0), "OK");
    std::string reply = s.Ask("bc");
    if (reply == "T05thread:01;swbreak:;") {
      EXPECT_LT(s.debugger->where(), at) << "event " << event;
      EXPECT_EQ(RegisterValue(s.Regs(), 4), pc) << "event " << event;
      // The hit before may be the same instruction before it exited: one
      // step forward is back where it was, or still short of it.
      EXPECT_EQ(s.Ask("s"), "T05thread:01;") << "event " << event;
      EXPECT_LE(s.debugger->where(), at) << "event " << event;
    } else {
      EXPECT_EQ(reply, "T05thread:01;replaylog:begin;") << "event " << event;
    }
  }
}

}  // namespace
}  // namespace vmrr::gdb
