// vmrr: the command-line entry point.  Every Error thrown below is caught
// here and becomes one line on stderr and an exit code.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/printable.h"
#include "replay/proto_log.h"
#include "replay/trace_inspection.h"
#include "vmm/cli/args.h"
#include "vmm/cli/replay_command.h"
#include "vmm/cli/version.h"
#include "vmm/doctor.h"
#include "vmm/guest_runner.h"
#include "vmm/kvm_host_probe.h"
#include "vmm/record_session.h"
#include "vmm/trace_output.h"

namespace vmrr {
namespace {

constexpr char kUsage[] =
    "usage: vmrr COMMAND [FLAGS]\n"
    "\n"
    "Record and replay whole arm64/riscv64 Linux guests on KVM.\n"
    "\n"
    "commands:\n"
    "  run        boot a guest kernel on KVM with the console on this terminal\n"
    "  record     run a guest and record it into a trace file\n"
    "  replay     replay a trace: the same guest execution, instruction for instruction\n"
    "  doctor     check whether this host can record deterministically\n"
    "  inspect    summarise a trace: header, events by kind, timeline\n"
    "\n"
    "vmrr COMMAND --help describes a command.  --version prints the version.\n"
    "Logs go to stderr; VMRR_LOG=debug|info|warn|error sets their level (default warn).\n";

int Doctor(const std::vector<std::string>& argv) {
  Args args;
  args.Flag("json", false, "print the report as JSON").Flag("help", false, "show this help");
  args.Parse(argv);
  if (args.Has("help")) {
    std::cout << "usage: vmrr doctor [--json]\n\n"
                 "Measures whether this host can record deterministically: KVM and its\n"
                 "capabilities, an exact guest-only retired-instruction counter (a known loop\n"
                 "run 20 times), overflow skid, single-step, host time control.\n"
                 "Exit 0: deterministic recording; 1: best-effort only; 2: impossible.\n\n"
              << args.Help();
    return 0;
  }
  KvmHostProbe probe;
  proto::HostReport report = RunDoctor(probe);
  report.set_vmrr_version(kVmrrVersion);
  std::cout << (args.Has("json") ? RenderJson(report) : RenderHuman(report));
  if (args.Has("json")) std::cout << "\n";
  return report.exit_code();
}

int Run(const std::vector<std::string>& argv) {
  Args args;
  for (const FlagSpec& spec : RunFlagSpecs()) args.Flag(spec.name, spec.takes_value, spec.help);
  args.Flag("help", false, "show this help");
  args.Parse(argv);
  if (args.Has("help")) {
    std::cout
        << "usage: vmrr run --kernel Image [--kernel-raw] [--initrd FILE] [--disk FILE[,ro]]\n"
           "                [--append ARGS | --cmdline STRING]\n"
           "                [--mem 1G] [--cpus 1] [--dump-dtb FILE] [--timeout S]\n\n"
           "Boots an unmodified arm64 or riscv64 Linux Image on KVM, with the guest console\n"
           "on stdin/stdout (on a terminal, Ctrl-A x stops the guest).\n"
           "Exit status: 0 the guest powered off; 2 bad input; 3 the guest reset (reboot,\n"
           "or a panic with panic=-1); 4 the guest crashed; 5 --timeout; 130 interrupted;\n"
           "1 an internal error.\n\n"
        << args.Help();
    return 0;
  }
  RunOptions options = MakeRunOptions(args.Given());
  RunOutcome outcome = RunGuest(options);
  int code = ExitCodeFor(outcome.exit);
  if (code != 0) std::fprintf(stderr, "vmrr: %s\n", Describe(outcome).c_str());
  return code;
}

// "-o FILE" is --output FILE.
std::vector<std::string> ExpandShortOutput(std::vector<std::string> argv) {
  for (std::string& arg : argv) {
    if (arg == "-o") arg = "--output";
  }
  return argv;
}

// The recording's guest time, when vmrr owned it (tools/bench reads this line).
void PrintGuestTime(const RecordResult& r) {
  if (!r.owns_time || r.timebase_hz == 0) return;
  const TimeExitCounts& t = r.time_exits;
  std::fprintf(
      stderr,
      "vmrr: guest time owned by vmrr: %.3f guest s; %llu counter reads, %llu timer accesses, "
      "%llu idles, %llu timer interrupts\n",
      static_cast<double>(r.guest_ticks) / static_cast<double>(r.timebase_hz),
      static_cast<unsigned long long>(t.counter_reads),
      static_cast<unsigned long long>(t.timer_accesses), static_cast<unsigned long long>(t.idles),
      static_cast<unsigned long long>(t.timer_interrupts));
}

int Record(const std::vector<std::string>& argv) {
  Args args;
  for (const FlagSpec& spec : RunFlagSpecs()) {
    if (std::string(spec.name) != "dump-dtb") args.Flag(spec.name, spec.takes_value, spec.help);
  }
  args.Flag("output", true, "the trace file (-o; default: KERNEL-DATE-TIME.vmrr here)")
      .Flag("force", false, "replace an existing -o file (when the recording ends)")
      .Flag("persist", false, "let the guest's disk writes reach the --disk image")
      .Flag("max-instructions", true, "end the recording after about this many guest instructions")
      .Flag("until-fail", true, "record up to N runs; keep the first whose guest fails")
      .Flag("counter", true, "guest instruction event: instructions|cpu-cycles (default: per arch)")
      .Flag("input", true,
            "type FILE's lines on the console, each after a random 20-400 ms host delay")
      .Flag("help", false, "show this help");
  args.Parse(ExpandShortOutput(argv));
  if (args.Has("help")) {
    std::cout
        << "usage: vmrr record --kernel Image [run flags] [-o FILE [--force]] [--persist]\n"
           "                   [--max-instructions N] [--until-fail N] [--input FILE]\n\n"
           "Runs a guest like `vmrr run` and records every input that crosses the VM boundary\n"
           "(MMIO reads, device writes to guest memory, interrupts, console input, hypercalls)\n"
           "at exact guest instruction counts, with the kernel, initrd and device tree, into one\n"
           "self-contained trace. --disk writes stay in memory unless --persist. The recording\n"
           "ends cleanly, with a complete trace that says why, on power-off, reset, panic,\n"
           "--timeout, --max-instructions and Ctrl-C/SIGTERM; a killed recorder leaves a trace\n"
           "whose prefix replays. --until-fail N keeps the first failing run (reset, crash,\n"
           "timeout, a `vmrr-workload NAME: FAIL` line or a kernel panic) and deletes the others.\n"
           "--input FILE types the file's lines on the guest console at random host moments\n"
           "(replay needs only the trace); a line `@wait TEXT` holds the next lines until the\n"
           "guest has printed TEXT. VMRR_RECORD_JITTER_US=N (testing) adds up to N us\n"
           "of host delay at every stop, so asynchronous events land at other points.\n"
           "Exit status: as `vmrr run` for how the (kept) guest run ended.\n\n"
        << args.Help();
    return 0;
  }
  RecordOptions options;
  std::vector<std::pair<std::string, std::string>> run_flags;
  for (const auto& [name, value] : args.Given()) {
    if (name == "output") {
      options.output = value;
    } else if (name == "force") {
      options.force = true;
    } else if (name == "persist") {
      options.persist = true;
    } else if (name == "max-instructions") {
      options.max_instructions = ParseCount(name, value);
    } else if (name == "input") {
      options.input_file = value;
    } else if (name == "counter") {
      if (value == "instructions") {
        options.counter = CounterEvent::kInstructions;
      } else if (value == "cpu-cycles") {
        options.counter = CounterEvent::kCpuCycles;
      } else {
        throw Error(ErrorKind::kUsage,
                    "--counter is instructions or cpu-cycles, not '" + value + "'");
      }
    } else if (name != "until-fail") {
      run_flags.emplace_back(name, value);
    }
  }
  options.run = MakeRunOptions(run_flags);
  options.status_line = isatty(STDERR_FILENO) != 0;
  if (const char* jitter = std::getenv("VMRR_RECORD_JITTER_US")) {
    char* end = nullptr;
    options.stop_jitter_us = std::strtoull(jitter, &end, 10);
    if (*jitter == '\0' || *end != '\0') {
      throw Error(ErrorKind::kUsage,
                  std::string("VMRR_RECORD_JITTER_US needs a number of microseconds, not '") +
                      jitter + "'");
    }
  }
  uint64_t runs =
      args.Value("until-fail") ? ParseCount("until-fail", *args.Value("until-fail")) : 0;
  if (args.Has("until-fail") && runs == 0)
    throw Error(ErrorKind::kUsage, "--until-fail needs N >= 1");
  if (runs == 0) {
    RecordResult r = RecordGuest(options);
    std::fprintf(stderr,
                 "vmrr: recorded %llu events over %llu guest instructions to %s (%llu bytes, "
                 "seed %llu): %s\n",
                 static_cast<unsigned long long>(r.events),
                 static_cast<unsigned long long>(r.instructions), r.path.c_str(),
                 static_cast<unsigned long long>(r.bytes), static_cast<unsigned long long>(r.seed),
                 Describe(r.outcome).c_str());
    PrintGuestTime(r);
    return ExitCodeFor(r.outcome.exit);
  }
  std::string final_path = options.output.empty()
                               ? DefaultTraceName(options.run.kernel, std::time(nullptr))
                               : options.output;
  CheckTraceOutput(final_path, RecordInputFiles(options), options.force);
  for (uint64_t i = 1; i <= runs; ++i) {
    options.output = final_path + ".run" + std::to_string(i);
    RecordResult r = RecordGuest(options);
    if (r.guest_failed || r.outcome.exit == GuestExit::kInterrupted) {
      std::filesystem::rename(r.path, final_path);
      std::fprintf(stderr, "vmrr: run %llu of %llu %s; kept its trace: %s\n",
                   static_cast<unsigned long long>(i), static_cast<unsigned long long>(runs),
                   r.outcome.exit == GuestExit::kInterrupted ? "was interrupted" : "failed",
                   final_path.c_str());
      return ExitCodeFor(r.outcome.exit);
    }
    std::filesystem::remove(r.path);
    std::fprintf(stderr, "vmrr: run %llu of %llu passed (trace deleted)\n",
                 static_cast<unsigned long long>(i), static_cast<unsigned long long>(runs));
  }
  std::fprintf(stderr, "vmrr: no failure in %llu runs; no trace kept\n",
               static_cast<unsigned long long>(runs));
  return 0;
}

int Inspect(const std::vector<std::string>& argv) {
  Args args;
  args.Flag("json", false, "print the summary as JSON")
      .Flag("events", true, "print events FIRST[:LAST] (numbers as in replay's reports) instead")
      .Flag("help", false, "show this help");
  args.Parse(argv, 1);
  if (args.Has("help")) {
    std::cout << "usage: vmrr inspect TRACE [--json | --events FIRST[:LAST]]\n\n"
                 "Prints a trace's header (format, arch, VM, host counter), how it ended\n"
                 "(complete, or cut by a crash of the recorder), its events by kind with their\n"
                 "bytes, the instructions and host time covered, and events per host second.\n"
                 "Exit 2 when the file is not a readable trace.\n\n"
              << args.Help();
    return 0;
  }
  if (args.positional().empty()) throw Error(ErrorKind::kUsage, "inspect needs a TRACE file");
  if (std::optional<std::string> range = args.Value("events")) {
    size_t colon = range->find(':');
    uint64_t first = ParseCount("events", range->substr(0, colon));
    uint64_t last =
        colon == std::string::npos ? first : ParseCount("events", range->substr(colon + 1));
    if (last < first) throw Error(ErrorKind::kUsage, "--events FIRST:LAST needs FIRST <= LAST");
    std::cout << RenderEvents(args.positional()[0], first, last);
    return 0;
  }
  proto::TraceInspection inspection = InspectTrace(args.positional()[0]);
  std::cout << (args.Has("json") ? RenderInspectionJson(inspection) + "\n"
                                 : RenderInspectionHuman(inspection));
  return 0;
}

void SetUpLogging() {
  auto logger = spdlog::stderr_color_mt("vmrr");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("vmrr [%l] %v");
  const char* level = std::getenv("VMRR_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);
  // Not raw "[libprotobuf ...]" lines on stderr: readers name parse errors.
  RouteProtobufLog([](const std::string& line) { spdlog::debug("protobuf: {}", line); });
}

int Main(int argc, char** argv) {
  SetUpLogging();
  std::vector<std::string> rest(argv + 1, argv + argc);
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
    std::fputs(kUsage, rest.empty() ? stderr : stdout);
    return rest.empty() ? 2 : 0;
  }
  if (rest[0] == "--version") {
    std::cout << "vmrr " << kVmrrVersion << "\n";
    return 0;
  }
  std::string command = rest[0];
  rest.erase(rest.begin());
  if (command == "doctor") return Doctor(rest);
  if (command == "run") return Run(rest);
  if (command == "record") return Record(rest);
  if (command == "replay") return Replay(rest);
  if (command == "inspect") return Inspect(rest);
  throw Error(ErrorKind::kUsage, "unknown command '" + command + "' (see vmrr --help)");
}

}  // namespace
}  // namespace vmrr

int main(int argc, char** argv) {
  try {
    return vmrr::Main(argc, argv);
  } catch (const vmrr::Error& e) {
    // One line, whatever a file put into it.
    std::fprintf(stderr, "vmrr: %s\n", vmrr::Printable(e.what()).c_str());
    return vmrr::ExitCodeFor(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmrr: internal error: %s\n", vmrr::Printable(e.what()).c_str());
    return 1;
  }
}
