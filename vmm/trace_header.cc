#include "vmm/trace_header.h"

#include <sys/utsname.h>

#include <fstream>

#include "base/error.h"
#include "replay/sha256.h"
#include "replay/trace_writer.h"
#include "vmm/cli/version.h"

namespace vmrr {

namespace {

std::string Sha256Bytes(const void* data, size_t len) {
  Sha256::Digest d = Sha256::Of(data, len);
  return std::string(d.begin(), d.end());
}

std::string Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kInput, "cannot read " + path);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sha.Update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  Sha256::Digest d = sha.Finish();
  return std::string(d.begin(), d.end());
}

}  // namespace

static constexpr const char* kBestEffortWarning =
    "best-effort: this host KVM gives the guest its own clock and timers (no time control), so "
    "guests that read time (Linux) may diverge on replay";

proto::TraceHeader MakeHeader(const RunOptions& run, GuestMachine& machine, const BootFiles& files,
                              const BootImage& boot, CounterEvent counter,
                              const RecordedTime* time) {
  proto::TraceHeader header;
  header.set_vmrr_version(kVmrrVersion);
  header.set_arch(machine.arch());
  header.set_created_unix_seconds(static_cast<uint64_t>(std::time(nullptr)));
  header.set_counter_event(CounterEventName(counter));
  if (time) {
    proto::GuestTime* t = header.mutable_time();
    t->set_owned_by_vmm(true);
    t->set_base_ticks(time->clock().config().base_ticks);
    t->set_instructions_per_tick(time->clock().config().instructions_per_tick);
    t->set_timebase_hz(time->clock().config().timebase_hz);
    t->set_mechanism(machine.time_mechanism());
  } else {
    header.set_best_effort(true);
    header.add_warnings(kBestEffortWarning);
  }
  for (const CpuRegister& reg : machine.CpuRegisters()) {
    proto::CpuRegister* r = header.add_cpu_registers();
    r->set_name(reg.name);
    r->set_id(reg.id);
    r->set_value(reg.value);
    r->set_settable(reg.settable);
  }
  proto::VmConfig* vm = header.mutable_vm();
  vm->set_mem_bytes(run.mem_bytes);
  vm->set_cpus(static_cast<uint32_t>(run.cpus));
  vm->set_append(run.append);
  if (run.cmdline) vm->set_cmdline(*run.cmdline);
  vm->set_seed(run.seed.value_or(0));
  vm->set_kernel_sha256(Sha256Bytes(files.kernel.data(), files.kernel.size()));
  if (!files.initrd.empty()) {
    vm->set_initrd_sha256(Sha256Bytes(files.initrd.data(), files.initrd.size()));
  }
  if (run.disk) {
    vm->set_disk_sha256(Sha256File(run.disk->path));
    vm->set_disk_read_only(run.disk->read_only);
  }
  proto::HostReport* host = header.mutable_host();
  host->set_vmrr_version(kVmrrVersion);
  host->set_arch(machine.arch());
  utsname u{};
  if (uname(&u) == 0) host->set_kernel(std::string(u.sysname) + " " + u.release);
  host->set_kvm_present(true);
  host->set_chosen_event(CounterEventName(counter));
  proto::BootState* state = header.mutable_boot();
  state->set_entry(boot.layout.entry);
  state->set_dtb(boot.layout.dtb);
  uint32_t records = TraceWriter::BootRecords(files.kernel.size()) +
                     TraceWriter::BootRecords(files.initrd.size()) +
                     TraceWriter::BootRecords(boot.dtb.size());
  state->set_region_records(records);
  return header;
}

std::string EndReason(GuestExit exit) {
  switch (exit) {
    case GuestExit::kPowerOff:
      return "poweroff";
    case GuestExit::kReset:
      return "reset";
    case GuestExit::kCrash:
      return "crash";
    case GuestExit::kTimeout:
      return "timeout";
    case GuestExit::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

std::string DefaultTraceName(const std::string& kernel_path, std::time_t when) {
  std::string base = kernel_path.substr(kernel_path.find_last_of('/') + 1);
  char stamp[32];
  std::tm tm{};
  localtime_r(&when, &tm);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  return base + "-" + stamp + ".vmrr";
}

}  // namespace vmrr
