// vmrr: the command-line entry point.  Every Error thrown below is caught
// here and becomes one line on stderr and an exit code.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "replay/trace_inspection.h"
#include "vmm/base/error.h"
#include "vmm/cli/args.h"
#include "vmm/cli/version.h"
#include "vmm/doctor.h"
#include "vmm/guest_runner.h"
#include "vmm/kvm_host_probe.h"

namespace vmrr {
namespace {

constexpr char kUsage[] =
    "usage: vmrr COMMAND [FLAGS]\n"
    "\n"
    "Record and replay whole arm64/riscv64 Linux guests on KVM.\n"
    "\n"
    "commands:\n"
    "  run        boot a guest kernel on KVM with the console on this terminal\n"
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
        << "usage: vmrr run --kernel Image [--initrd FILE] [--disk FILE[,ro]] [--append ARGS]\n"
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

int Inspect(const std::vector<std::string>& argv) {
  Args args;
  args.Flag("json", false, "print the summary as JSON").Flag("help", false, "show this help");
  args.Parse(argv, 1);
  if (args.Has("help")) {
    std::cout << "usage: vmrr inspect TRACE [--json]\n\n"
                 "Prints a trace's header (format, arch, VM, host counter), how it ended\n"
                 "(complete, or cut by a crash of the recorder), its events by kind with their\n"
                 "bytes, the instructions and host time covered, and events per host second.\n"
                 "Exit 2 when the file is not a readable trace.\n\n"
              << args.Help();
    return 0;
  }
  if (args.positional().empty()) throw Error(ErrorKind::kUsage, "inspect needs a TRACE file");
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
  if (command == "inspect") return Inspect(rest);
  throw Error(ErrorKind::kUsage, "unknown command '" + command + "' (see vmrr --help)");
}

}  // namespace
}  // namespace vmrr

int main(int argc, char** argv) {
  try {
    return vmrr::Main(argc, argv);
  } catch (const vmrr::Error& e) {
    std::fprintf(stderr, "vmrr: %s\n", e.what());
    return vmrr::ExitCodeFor(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmrr: internal error: %s\n", e.what());
    return 1;
  }
}
