// vmrr: the command-line entry point.  Every Error thrown below is caught
// here and becomes one line on stderr and an exit code.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "vmm/base/error.h"
#include "vmm/cli/args.h"
#include "vmm/cli/version.h"
#include "vmm/doctor.h"
#include "vmm/kvm_host_probe.h"

namespace vmrr {
namespace {

constexpr char kUsage[] =
    "usage: vmrr COMMAND [FLAGS]\n"
    "\n"
    "Record and replay whole arm64/riscv64 Linux guests on KVM.\n"
    "\n"
    "commands:\n"
    "  doctor     check whether this host can record deterministically\n"
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
