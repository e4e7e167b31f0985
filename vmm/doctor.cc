#include "vmm/doctor.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <sstream>

#include "base/error.h"
#include "vmm/probe_loop.h"

namespace vmrr {

namespace {

void ProbeCounter(HostProbe& probe, CounterEvent event, const DoctorPlan& plan,
                  proto::CounterProbe* out) {
  out->set_event(CounterEventName(event));
  out->set_loop_iterations(plan.loop_iterations);
  out->set_expected_count(RepeatPassLength(plan.loop_iterations));
  std::vector<uint64_t> counts;
  try {
    counts = probe.CountPasses(event, plan.loop_iterations, plan.passes);
  } catch (const Error& e) {
    out->set_available(false);
    out->set_error(e.what());
    return;
  }
  out->set_available(true);
  for (uint64_t c : counts) out->add_counts(c);
  out->set_exact(!counts.empty() && static_cast<int>(counts.size()) == plan.passes &&
                 std::all_of(counts.begin(), counts.end(), [&](uint64_t c) {
                   return c == RepeatPassLength(plan.loop_iterations);
                 }));
  if (!out->exact()) return;

  // Some hosts (QEMU 11 riscv64) miss the first overflow after counting:
  // a warm-up stop first, then the measured ones.
  auto warmup =
      probe.StopByOverflow(event, plan.overflow_loop_iterations, plan.overflow_periods.front());
  out->set_warmup_overflow_missed(!warmup.has_value());
  bool all_stopped = true;
  bool matches = true;
  int64_t max_skid = 0;
  for (uint64_t period : plan.overflow_periods) {
    auto stop = probe.StopByOverflow(event, plan.overflow_loop_iterations, period);
    if (!stop) {
      all_stopped = false;
      continue;
    }
    int64_t skid = static_cast<int64_t>(stop->count) - static_cast<int64_t>(period);
    out->add_periods(period);
    out->add_skids(skid);
    max_skid = std::max(max_skid, skid);
    if (stop->retired < 0 || static_cast<uint64_t>(stop->retired) != stop->count) matches = false;
  }
  out->set_overflow_stops(all_stopped);
  out->set_max_skid(max_skid);
  out->set_counter_matches_registers(all_stopped && matches);
}

void FillStep(const StepResult& r, proto::StepProbe* out) {
  out->set_supported(r.supported);
  out->set_steps_tried(r.tried);
  out->set_steps_exact(r.exact);
  out->set_note(r.note);
}

bool Usable(const proto::CounterProbe& c, const DoctorPlan& plan) {
  return c.available() && c.exact() && c.overflow_stops() && c.counter_matches_registers() &&
         c.max_skid() >= 0 && c.max_skid() <= plan.max_usable_skid;
}

// The usable counter with the smallest skid (instructions win ties), or null.
const proto::CounterProbe* BestCounter(const proto::HostReport& report, const DoctorPlan& plan) {
  const proto::CounterProbe* best = nullptr;
  for (const auto& c : report.counters()) {
    if (!Usable(c, plan)) continue;
    if (best == nullptr || c.max_skid() < best->max_skid()) best = &c;
  }
  return best;
}

}  // namespace

proto::HostReport RunDoctor(HostProbe& probe, const DoctorPlan& plan) {
  proto::HostReport report;
  report.set_arch(probe.Arch());
  report.set_kernel(probe.KernelRelease());
  try {
    report.set_kvm_api_version(probe.OpenKvm());
    report.set_kvm_present(true);
  } catch (const Error& e) {
    report.set_kvm_present(false);
    report.set_kvm_error(e.what());
    Decide(&report, plan);
    return report;
  }
  for (const auto& [name, value] : probe.Capabilities()) {
    auto* cap = report.add_capabilities();
    cap->set_name(name);
    cap->set_value(value);
  }
  for (CounterEvent event : {CounterEvent::kInstructions, CounterEvent::kCpuCycles}) {
    ProbeCounter(probe, event, plan, report.add_counters());
  }
  // Stepping and run-to-point use the counter recording would use.
  if (const proto::CounterProbe* best = BestCounter(report, plan)) {
    CounterEvent event = best->event() == CounterEventName(CounterEvent::kInstructions)
                             ? CounterEvent::kInstructions
                             : CounterEvent::kCpuCycles;
    FillStep(probe.SingleStep(event, plan.steps), report.mutable_single_step());
    FillStep(probe.OverflowStep(event, plan.steps), report.mutable_overflow_step());
    bool single = report.single_step().supported();
    if (single || report.overflow_step().supported()) {
      *report.mutable_run_to_point() = probe.RunToPoints(
          event, single, single ? plan.single_step_margin : plan.overflow_step_margin,
          plan.run_to_point_targets);
    }
  }
  std::string note;
  report.set_host_time_control(probe.HostTimeControl(&note));
  report.set_host_time_note(note);
  Decide(&report, plan);
  return report;
}

void Decide(proto::HostReport* report, const DoctorPlan& plan) {
  report->clear_reasons();
  report->clear_chosen_event();
  auto impossible = [&](const std::string& why) {
    report->set_verdict(proto::IMPOSSIBLE);
    report->add_reasons(why);
    report->set_exit_code(2);
  };
  if (!report->kvm_present()) {
    impossible("no KVM: " + report->kvm_error());
    return;
  }
  const proto::CounterProbe* best = BestCounter(*report, plan);
  if (best == nullptr) {
    bool any_exact = std::any_of(report->counters().begin(), report->counters().end(),
                                 [](const auto& c) { return c.exact(); });
    impossible(any_exact ? "no exact guest counter stops KVM_RUN on overflow within " +
                               std::to_string(plan.max_usable_skid) + " instructions"
                         : "no exact guest-only retired-instruction counter (QEMU hosts need "
                           "-icount shift=0)");
    return;
  }
  report->set_chosen_event(best->event());
  bool can_finish_stop =
      (report->single_step().supported() && report->single_step().steps_exact() > 0) ||
      (report->overflow_step().supported() &&
       report->overflow_step().steps_exact() == report->overflow_step().steps_tried());
  if (!can_finish_stop) {
    impossible("cannot finish a stop exactly: neither single-step nor period-1 overflow works");
    return;
  }
  const proto::RunToPointProbe& rtp = report->run_to_point();
  if (rtp.stops() == 0 || rtp.exact() != rtp.stops()) {
    impossible("run-to-point missed: " + std::to_string(rtp.exact()) + "/" +
               std::to_string(rtp.stops()) + " stops exact" +
               (rtp.note().empty() ? "" : " (" + rtp.note() + ")"));
    return;
  }
  if (!report->host_time_control()) {
    report->set_verdict(proto::BEST_EFFORT);
    report->add_reasons("guest time is not under vmrr's control: " + report->host_time_note());
    report->set_exit_code(1);
    return;
  }
  report->set_verdict(proto::DETERMINISTIC);
  report->set_exit_code(0);
}

std::string RenderHuman(const proto::HostReport& r) {
  std::ostringstream out;
  auto yes = [](bool b) { return b ? "yes" : "no"; };
  out << "vmrr doctor: " << r.arch() << " host, kernel " << r.kernel() << "\n";
  if (!r.kvm_present()) {
    out << "  KVM                 absent: " << r.kvm_error() << "\n";
  } else {
    out << "  KVM                 /dev/kvm, API version " << r.kvm_api_version() << "\n";
    out << "  capabilities       ";
    for (const auto& c : r.capabilities()) out << " " << c.name() << "=" << c.value();
    out << "\n";
    for (const auto& c : r.counters()) {
      out << "  counter " << c.event() << ": ";
      if (!c.available()) {
        out << "unavailable (" << c.error() << ")\n";
        continue;
      }
      uint64_t same = std::count(c.counts().begin(), c.counts().end(), c.expected_count());
      out << (c.exact() ? "exact" : "NOT exact") << " (" << same << "/" << c.counts_size()
          << " passes = " << c.expected_count() << ")";
      if (c.exact()) {
        if (c.overflow_stops()) {
          out << ", overflow skid max " << c.max_skid() << " over " << c.skids_size()
              << " stops, registers agree: " << yes(c.counter_matches_registers());
        } else {
          out << ", overflow did not stop the guest";
        }
        if (c.warmup_overflow_missed()) out << " (first overflow missed: warm-up needed)";
      }
      out << "\n";
    }
    out << "  chosen event        " << (r.chosen_event().empty() ? "none" : r.chosen_event())
        << "\n";
    out << "  single-step         " << yes(r.single_step().supported()) << " ("
        << r.single_step().steps_exact() << "/" << r.single_step().steps_tried()
        << " steps retired one instruction)"
        << (r.single_step().note().empty() ? "" : "; " + r.single_step().note()) << "\n";
    out << "  period-1 overflow   " << yes(r.overflow_step().supported()) << " ("
        << r.overflow_step().steps_exact() << "/" << r.overflow_step().steps_tried() << ")"
        << (r.overflow_step().note().empty() ? "" : "; " + r.overflow_step().note()) << "\n";
    const proto::RunToPointProbe& rtp = r.run_to_point();
    out << "  run-to-point        " << rtp.exact() << "/" << rtp.stops() << " stops exact with "
        << (rtp.method().empty() ? "no method" : rtp.method()) << ", margin " << rtp.margin()
        << ", steps per stop:";
    for (uint32_t steps : rtp.steps()) out << " " << steps;
    out << (rtp.note().empty() ? "" : "; " + rtp.note()) << "\n";
    out << "  host time control   " << yes(r.host_time_control()) << " (" << r.host_time_note()
        << ")\n";
  }
  const char* verdict = r.verdict() == proto::DETERMINISTIC ? "deterministic"
                        : r.verdict() == proto::BEST_EFFORT ? "best-effort"
                                                            : "impossible";
  out << "verdict: " << verdict;
  for (const auto& why : r.reasons()) out << "; " << why;
  out << " (exit " << r.exit_code() << ")\n";
  return out.str();
}

std::string RenderJson(const proto::HostReport& report) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(report, &json, options);
  if (!status.ok()) throw Error(ErrorKind::kInternal, "JSON encoding: " + status.ToString());
  return json;
}

}  // namespace vmrr
