#include "replay/fake_guest.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "replay/execution_point.h"

namespace vmrr::testing {

std::vector<Op> TestProgram(uint64_t loops) {
  std::vector<Op> p(kHandlerPc + 4, Op{OpKind::kOff});
  p[0] = {OpKind::kAdd, loops};  // loop counter set on the first ADD (see Execute)
  p[1] = {OpKind::kRead, kRandomReg};
  p[2] = {OpKind::kAdd, 7};
  p[3] = {OpKind::kWrite, kOutputReg};
  p[4] = {OpKind::kWrite, kDmaReg};
  p[5] = {OpKind::kLoadMem, 17};
  p[6] = {OpKind::kAdd, 3};
  p[7] = {OpKind::kDecJnz, 1};
  p[8] = {OpKind::kOff};
  p[kHandlerPc] = {OpKind::kRead, kAckReg};
  p[kHandlerPc + 1] = {OpKind::kAdd, 11};
  p[kHandlerPc + 2] = {OpKind::kIret};
  return p;
}

FakeGuest::FakeGuest(std::vector<Op> program, uint64_t max_skid, uint32_t seed)
    : program_(std::move(program)), max_skid_(max_skid), rng_(seed) {
  loops_left_ = program_[0].arg;
}

uint64_t FakeGuest::RegistersDigest() {
  uint64_t regs[4] = {acc_, loops_left_, saved_pc_, in_handler_ ? 1u : 0u};
  return vmrr::RegsDigest(regs, 4);
}

void FakeGuest::SettlePendingExit() {
  if (!pending_) return;
  pending_ = false;
  if ((last_exit_.kind == VcpuStop::Kind::kMmio && !last_exit_.is_write) ||
      last_exit_.kind == VcpuStop::Kind::kClockRead) {
    acc_ = acc_ * 131 + pending_value_;
  }
  ++pc_;
}

void FakeGuest::CompleteMmioRead(uint64_t value) { pending_value_ = value; }

void FakeGuest::SetInterruptLine(uint32_t line, bool level) {
  EXPECT_EQ(line, kTimerLine);
  line_ = level;
}

bool FakeGuest::WriteMemory(uint64_t gpa, const std::string& data) {
  if (gpa > memory_.size() || data.size() > memory_.size() - gpa) return false;
  std::copy(data.begin(), data.end(), memory_.begin() + static_cast<long>(gpa));
  return true;
}

// Pages of 256 bytes; "written" means changed since the last digest.
uint64_t FakeGuest::MemoryDigest(std::vector<uint64_t>* pages) {
  pages->clear();
  for (size_t page = 0; page < memory_.size() / 256; ++page) {
    if (!std::equal(memory_.begin() + static_cast<long>(page * 256),
                    memory_.begin() + static_cast<long>(page * 256 + 256),
                    digested_.begin() + static_cast<long>(page * 256))) {
      pages->push_back(page);
    }
  }
  digested_ = memory_;
  if (spurious_page_ && !std::binary_search(pages->begin(), pages->end(), *spurious_page_)) {
    pages->insert(std::lower_bound(pages->begin(), pages->end(), *spurious_page_), *spurious_page_);
  }
  return MemoryDigestOf(*pages);
}

uint64_t FakeGuest::MemoryDigestOf(const std::vector<uint64_t>& pages) {
  uint64_t hash = 1469598103934665603ull;
  for (uint64_t page : pages) {
    hash = (hash ^ page) * 1099511628211ull;
    if (page >= memory_.size() / 256) continue;
    for (size_t i = page * 256; i < page * 256 + 256; ++i) {
      hash = (hash ^ memory_[i]) * 1099511628211ull;
    }
  }
  return hash;
}

bool FakeGuest::Execute(uint64_t stop_at, bool one_step) {
  SettlePendingExit();
  for (;;) {
    if (!one_step && count_ >= stop_at) return false;
    if (line_ && !in_handler_) {  // taking the interrupt retires nothing
      in_handler_ = true;
      saved_pc_ = pc_;
      pc_ = kHandlerPc;
    }
    if (std::find(breakpoints_.begin(), breakpoints_.end(), pc_) != breakpoints_.end()) {
      last_exit_ = VcpuStop{};
      last_exit_.kind = VcpuStop::Kind::kDebug;
      return true;
    }
    const Op& op = program_.at(pc_);
    switch (op.kind) {
      case OpKind::kRead:
      case OpKind::kWrite:
        pending_ = true;
        pending_value_ = 0;
        last_exit_ = VcpuStop{};
        last_exit_.kind = VcpuStop::Kind::kMmio;
        last_exit_.gpa = op.arg;
        last_exit_.len = 4;
        last_exit_.is_write = op.kind == OpKind::kWrite;
        last_exit_.write_value = acc_ & 0xff;
        return true;
      case OpKind::kReadClock:
      case OpKind::kWfi:
        pending_ = true;
        pending_value_ = 0;
        last_exit_ = VcpuStop{};
        last_exit_.kind =
            op.kind == OpKind::kWfi ? VcpuStop::Kind::kIdle : VcpuStop::Kind::kClockRead;
        last_exit_.function = static_cast<uint64_t>(ClockCounter::kTime);
        return true;
      case OpKind::kOff:
        last_exit_ = VcpuStop{};
        last_exit_.kind = VcpuStop::Kind::kPowerOff;
        return true;
      case OpKind::kAdd:
        acc_ = acc_ * 31 + op.arg + (in_handler_ ? saved_pc_ : 0);
        ++pc_;
        if (noise_one_in_ != 0 && op.arg == noise_arg_ && noise_rng_() % noise_one_in_ == 0) {
          count_ += noise_extra_;
          ++noise_events_;
        }
        break;
      case OpKind::kLoadMem:
        acc_ = acc_ * 31 + memory_[op.arg] + memory_[op.arg + 600];
        ++pc_;
        break;
      case OpKind::kDecJnz:
        pc_ = --loops_left_ != 0 ? op.arg : pc_ + 1;
        break;
      case OpKind::kIret:
        pc_ = saved_pc_;
        in_handler_ = false;
        break;
    }
    ++count_;
    if (one_step) return false;
  }
}

struct FakeGuest::State {
  uint64_t pc, acc, loops_left, saved_pc, count;
  bool in_handler, line;
  std::vector<uint8_t> memory, digested;
};

std::any FakeGuest::SaveState() {
  EXPECT_FALSE(pending_) << "a checkpoint with an exit pending";
  return State{pc_, acc_, loops_left_, saved_pc_, count_, in_handler_, line_, memory_, digested_};
}

bool FakeGuest::RestoresExactly(const std::any& any) {
  return !inexact_ || !inexact_(std::any_cast<const State&>(any).count);
}

void FakeGuest::RestoreState(const std::any& any) {
  const auto& s = std::any_cast<const State&>(any);
  restored_from_ = s.count;
  pending_ = false;
  pc_ = s.pc;
  acc_ = s.acc;
  loops_left_ = s.loops_left;
  saved_pc_ = s.saved_pc;
  count_ = s.count;
  in_handler_ = s.in_handler;
  line_ = s.line;
  memory_ = s.memory;
  digested_ = s.digested;
}

bool FakeGuest::SetBreakpoints(const std::vector<uint64_t>& pcs) {
  if (pcs.size() > 4) return false;  // like a CPU's few hardware breakpoints
  breakpoints_.clear();
  if (!pcs.empty() && count_ < breakpoints_mapped_from_) return false;
  breakpoints_ = pcs;
  return true;
}

bool FakeGuest::ReadMemory(uint64_t address, bool, uint64_t len, std::string* out) {
  if (address > memory_.size() || len > memory_.size() - address) return false;
  out->assign(memory_.begin() + static_cast<long>(address),
              memory_.begin() + static_cast<long>(address + len));
  return true;
}

std::string FakeGuest::TargetDescription(const std::string& annex) {
  if (annex != "target.xml") return "";
  return "<?xml version=\"1.0\"?><target><architecture>fake</architecture>"
         "<feature name=\"org.vmrr.fake\"><reg name=\"acc\" bitsize=\"64\"/>"
         "<reg name=\"loops\" bitsize=\"64\"/><reg name=\"saved_pc\" bitsize=\"64\"/>"
         "<reg name=\"in_handler\" bitsize=\"64\"/><reg name=\"pc\" bitsize=\"64\"/>"
         "</feature></target>";
}

std::vector<std::string> FakeGuest::Registers() {
  std::vector<std::string> regs;
  for (uint64_t v : {acc_, loops_left_, saved_pc_, uint64_t{in_handler_}, pc_}) {
    regs.emplace_back(reinterpret_cast<const char*>(&v), 8);
  }
  return regs;
}

SteppableVcpu::Stop FakeGuest::RunWithOverflow(uint64_t count) {
  EXPECT_GE(count, 1u);
  uint64_t skid = std::uniform_int_distribution<uint64_t>(0, max_skid_)(rng_);
  return Execute(count_ + count + skid, false) ? Stop::kExit : Stop::kOverflow;
}

SteppableVcpu::Stop FakeGuest::Step() { return Execute(0, true) ? Stop::kExit : Stop::kOverflow; }

VcpuStop FakeGuest::Run() {
  uint64_t stop_at = kick_after_ == UINT64_MAX ? UINT64_MAX : count_ + kick_after_;
  if (Execute(stop_at, false)) return last_exit_;
  return VcpuStop{};  // kInterrupted
}

}  // namespace vmrr::testing
