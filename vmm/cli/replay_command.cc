#include "vmm/cli/replay_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "base/error.h"
#include "base/printable.h"
#include "vmm/cli/args.h"
#include "vmm/cli/replay_targets.h"
#include "vmm/gdb_connection.h"
#include "vmm/replay_session.h"

namespace vmrr {

namespace {

// A skid margin that would step for minutes per stop is a mistake.
constexpr uint64_t kMaxSkidMargin = 1'000'000;

// What a finished replay absorbed on the way, for its summary line.
std::string ReplayNotes(const ReplayResult& r) {
  std::string notes;
  if (r.skews != 0) {
    notes += "; " + std::to_string(r.skews) + " count skews absorbed, at most " +
             std::to_string(r.max_skew) + " instructions";
  }
  if (r.dirty_log_differences != 0) {
    notes += "; KVM's dirty log named other pages at " + std::to_string(r.dirty_log_differences) +
             " memory checks (the recorded pages matched)";
  }
  return notes;
}

// The exit status and summary line of a replay that ended.
int Finished(const ReplayResult& r) {
  switch (r.kind) {
    case ReplayResult::Kind::kFinished:
    case ReplayResult::Kind::kCut:
      std::fprintf(stderr,
                   "vmrr: %s (%llu asynchronous stops, %llu steps, at most %llu per stop%s)\n",
                   Printable(r.message).c_str(), static_cast<unsigned long long>(r.stops),
                   static_cast<unsigned long long>(r.steps),
                   static_cast<unsigned long long>(r.max_steps_per_stop), ReplayNotes(r).c_str());
      return 0;
    case ReplayResult::Kind::kDiverged:
      std::fprintf(stderr, "vmrr: %s\n", PrintableLines(r.report).c_str());
      return 3;
    case ReplayResult::Kind::kInterrupted:
      std::fprintf(stderr, "vmrr: %s\n", r.message.c_str());
      return 130;
  }
  return 1;
}

double Ms(std::chrono::nanoseconds ns) { return static_cast<double>(ns.count()) / 1e6; }

void PrintCosts(const ReplaySession& session) {
  CheckpointCosts c = session.checkpoint_costs();
  std::fprintf(stderr,
               "vmrr: checkpoints: %llu taken (%.1f ms each on average, %.1f MB of guest pages "
               "in all), %llu restored (%.1f ms each on average)\n",
               static_cast<unsigned long long>(c.taken),
               c.taken ? Ms(c.take_time) / static_cast<double>(c.taken) : 0.0,
               static_cast<double>(c.memory_bytes) / 1e6,
               static_cast<unsigned long long>(c.restored),
               c.restored ? Ms(c.restore_time) / static_cast<double>(c.restored) : 0.0);
}

// "at event E (what), instruction C" and the registers, on stdout.
void PrintStop(ReplaySession& session, const ReplayTarget& target) {
  std::printf("vmrr: stopped at --to %s: instruction %llu, next event %llu", target.text.c_str(),
              static_cast<unsigned long long>(session.instructions()),
              static_cast<unsigned long long>(session.next_event_index()));
  if (const proto::Event* next = session.next_event()) {
    std::printf(" (%s)", Replayer::Describe(*next).c_str());
  }
  std::printf("\n");
  for (const auto& [name, value] : session.Registers()) {
    std::printf("  %-15s 0x%016llx\n", name.c_str(), static_cast<unsigned long long>(value));
  }
  std::fflush(stdout);
}

int GoTo(ReplaySession& session, const std::vector<ReplayTarget>& targets) {
  std::optional<uint64_t> events = session.total_events();
  std::optional<uint64_t> end = session.end_instructions();
  for (const ReplayTarget& target : targets) {
    if (!target.is_count && events && target.value >= *events) {
      throw Error(ErrorKind::kUsage, "--to " + target.text + ": the trace has " +
                                         std::to_string(*events) + " events (0 to " +
                                         std::to_string(*events - 1) + ")");
    }
    if (target.is_count && end && target.value > *end) {
      throw Error(
          ErrorKind::kUsage,
          "--to " + target.text + ": the recording ended at instruction " + std::to_string(*end));
    }
  }
  for (const ReplayTarget& target : targets) {
    auto start = std::chrono::steady_clock::now();
    uint64_t restores = session.checkpoint_costs().restored;
    ReplayStop stop = session.Step(target.Constraints());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::optional<CheckpointInfo> from;
    if (session.checkpoint_costs().restored > restores) from = session.last_restored();
    std::fprintf(stderr, "vmrr: --to %s: %.3f s, %s\n", target.text.c_str(), seconds,
                 from ? ("from checkpoint " + std::to_string(from->id) + " at instruction " +
                         std::to_string(from->instructions))
                            .c_str()
                      : "replaying on");
    if (stop.reason == ReplayStop::Reason::kEnd) {
      const ReplayResult& r = session.result();
      if (r.kind == ReplayResult::Kind::kFinished || r.kind == ReplayResult::Kind::kCut) {
        // The end is the target (the last count of a stopped recording).
        if (target.is_count && session.instructions() == target.value) {
          PrintStop(session, target);
          continue;
        }
        std::fprintf(stderr, "vmrr: --to %s: the replay ended first: %s\n", target.text.c_str(),
                     r.message.c_str());
        return 2;
      }
      return Finished(r);
    }
    PrintStop(session, target);
  }
  PrintCosts(session);
  return 0;
}

int VerifyCheckpoints(ReplaySession& session, uint64_t wanted) {
  // The straight replay, checkpoints spread evenly over its instructions on
  // the way (the replays from them then cost about K/2 straight ones).
  std::vector<uint64_t> at;
  if (std::optional<uint64_t> end = session.end_instructions()) {
    at = SpreadCheckpoints(*end, wanted);
  }
  std::vector<uint64_t> ids;
  for (uint64_t count : at) {
    if (session.Step(StepConstraints::ToInstructions(count)).reason == ReplayStop::Reason::kEnd) {
      break;
    }
    ids.push_back(session.TakeCheckpoint().id);
  }
  while (session.Step(StepConstraints{}).reason != ReplayStop::Reason::kEnd) {
  }
  const ReplayResult straight = session.result();
  if (straight.kind != ReplayResult::Kind::kFinished && straight.kind != ReplayResult::Kind::kCut) {
    return Finished(straight);
  }
  const std::string output = session.console_output();
  const uint64_t final_count = session.instructions();
  const uint64_t final_pc = session.pc();
  if (ids.size() < wanted) {
    // A cut trace (no event count up front) or a short one: the automatic
    // checkpoints stand in, then the latest ones.
    std::vector<uint64_t> spare;
    for (const CheckpointInfo& cp : session.checkpoints()) {
      if (cp.id != 0 && std::find(ids.begin(), ids.end(), cp.id) == ids.end()) {
        spare.push_back(cp.id);
      }
    }
    while (ids.size() < wanted && !spare.empty()) {
      ids.push_back(spare.back());
      spare.pop_back();
    }
  }
  session.set_console_echo(false);
  uint64_t identical = 0;
  // Last to first.
  std::vector<CheckpointInfo> chosen;
  for (const CheckpointInfo& cp : session.checkpoints()) {
    if (std::find(ids.begin(), ids.end(), cp.id) != ids.end()) chosen.push_back(cp);
  }
  for (auto it = chosen.rbegin(); it != chosen.rend(); ++it) {
    session.RestoreCheckpoint(it->id);
    while (session.Step(StepConstraints{}).reason != ReplayStop::Reason::kEnd) {
    }
    const ReplayResult& again = session.result();
    std::string why;
    // Counts are compared as the recording's: a restored replay may absorb
    // other count skews (host noise) than the straight one.
    if (again.kind != straight.kind) {
      why = again.kind == ReplayResult::Kind::kDiverged ? again.report : again.message;
    } else if (again.events != straight.events) {
      why = "it ended otherwise: " + again.message;
    } else if (session.console_output() != output) {
      why = "the console output differs";
    } else if (session.instructions() != final_count || session.pc() != final_pc) {
      why = "the guest ended elsewhere";
    }
    if (!why.empty()) {
      std::fprintf(stderr,
                   "vmrr: checkpoint %llu (event %llu, instruction %llu) did not replay to the "
                   "end identically: %s\n",
                   static_cast<unsigned long long>(it->id),
                   static_cast<unsigned long long>(it->event_index),
                   static_cast<unsigned long long>(it->instructions), why.c_str());
      PrintCosts(session);
      return 3;
    }
    ++identical;
    std::fprintf(stderr, "vmrr: checkpoint %llu (event %llu, instruction %llu): identical\n",
                 static_cast<unsigned long long>(it->id),
                 static_cast<unsigned long long>(it->event_index),
                 static_cast<unsigned long long>(it->instructions));
  }
  std::printf("%llu/%llu checkpoints replayed to the end identically\n",
              static_cast<unsigned long long>(identical),
              static_cast<unsigned long long>(chosen.size()));
  PrintCosts(session);
  return chosen.size() == wanted ? 0 : 3;
}

}  // namespace

int Replay(const std::vector<std::string>& argv) {
  Args args;
  args.Flag("skid-margin", true,
            "instructions to stop early by, then step (default 0: the rig's skid; at most 1000000)")
      .Flag("to", true,
            "stop at event N, or at instruction count @COUNT, and print the registers "
            "(repeatable: each target in turn, backward ones from a checkpoint)")
      .Flag("verify-checkpoints", true,
            "self-check: replay to the end, then from K checkpoints (last to first) to the end "
            "again; all must end identically")
      .Flag("gdb", true,
            "serve gdb's remote protocol on [ADDR:]PORT (loopback unless ADDR) or a device "
            "path; the replay goes on to the end when gdb detaches")
      .Flag("help", false, "show this help");
  args.Parse(argv, 1);
  if (args.Has("help")) {
    std::cout
        << "usage: vmrr replay TRACE [--skid-margin N] [--to N|@COUNT]... [--verify-checkpoints "
           "K]\n                        [--gdb [ADDR:]PORT]\n\n"
           "Rebuilds the recorded VM from the trace alone and replays it: every recorded\n"
           "value is fed back and every event injected at its exact point, so the guest's\n"
           "console output comes out byte for byte. Each event's point (instruction count,\n"
           "PC, registers) and the periodic memory digests are checked; the first mismatch\n"
           "stops the replay with a report.\n"
           "--to stops at an event (before it is applied; an event answered at an exit stops\n"
           "at that exit) or at an instruction count (after the events recorded there), prints\n"
           "the point and the registers on stdout (the console output is not printed), and\n"
           "exits 0. Several --to go to each target in turn; checkpoints are taken as the\n"
           "replay goes (every 0.5 s of replay, the gap doubling every 4), and a target behind\n"
           "is reached from the latest checkpoint before it.\n"
           "--gdb waits for gdb (target remote) and serves it: breakpoints, write\n"
           "watchpoints, continue and stepi both ways (reverse-continue, reverse-stepi), memory\n"
           "by virtual or physical address, `monitor help`; registers and memory are read-only.\n"
           "Exit status: 0 replayed to the trace's end (or, for a cut trace, to its last\n"
           "event), or reached every --to; 3 diverged; 2 not a usable trace or a target past\n"
           "its end; 130 interrupted; 1 internal error.\n\n"
        << args.Help();
    return 0;
  }
  if (args.positional().empty()) throw Error(ErrorKind::kUsage, "replay needs a TRACE file");
  ReplayOptions options;
  options.trace = args.positional()[0];
  if (auto margin = args.Value("skid-margin")) {
    options.skid_margin = ParseCount("skid-margin", *margin);
    if (*options.skid_margin > kMaxSkidMargin) {
      throw Error(ErrorKind::kUsage, "--skid-margin is at most " + std::to_string(kMaxSkidMargin));
    }
  }
  std::vector<ReplayTarget> targets;
  for (const std::string& text : args.Values("to")) targets.push_back(ParseReplayTarget(text));
  std::optional<uint64_t> verify;
  if (auto k = args.Value("verify-checkpoints")) {
    verify = ParseCount("verify-checkpoints", *k);
    if (*verify == 0 || *verify > 1000) {
      throw Error(ErrorKind::kUsage, "--verify-checkpoints needs a number from 1 to 1000");
    }
    if (!targets.empty()) {
      throw Error(ErrorKind::kUsage, "--verify-checkpoints and --to do not go together");
    }
  }
  std::optional<std::string> gdb = args.Value("gdb");
  if (gdb && (verify || !targets.empty())) {
    throw Error(ErrorKind::kUsage, "--gdb does not go with --to or --verify-checkpoints");
  }
  options.status_line = isatty(STDERR_FILENO) != 0 && !gdb;
  options.echo_console = targets.empty();
  options.automatic_checkpoints = !targets.empty() || verify.has_value() || gdb.has_value();
  ReplaySession session(options);
  if (!targets.empty()) return GoTo(session, targets);
  if (verify) return VerifyCheckpoints(session, *verify);
  if (gdb) ServeGdb(session, *gdb);
  while (session.Step(StepConstraints{}).reason != ReplayStop::Reason::kEnd) {
  }
  return Finished(session.result());
}

}  // namespace vmrr
