#include "devices/plic.h"

#include <bit>
#include <cstring>
#include <string>
#include <utility>

#include "base/error.h"
#include "devices/mmio_access.h"

namespace vmrr {
namespace {

// Register map of the SiFive PLIC.
constexpr uint64_t kPriorityBase = 0x000000;  // + 4 * source
constexpr uint64_t kPendingBase = 0x001000;   // + 4 * word
constexpr uint64_t kEnableBase = 0x002000;    // + 0x80 * context + 4 * word
constexpr uint64_t kEnableStride = 0x80;
constexpr uint64_t kContextBase = 0x200000;  // + 0x1000 * context
constexpr uint64_t kContextStride = 0x1000;
constexpr uint64_t kThreshold = 0x0;  // within a context's block
constexpr uint64_t kClaimComplete = 0x4;

}  // namespace

Plic::Plic(uint32_t num_sources, std::vector<IrqLine> context_outputs)
    : num_sources_(num_sources), num_words_(num_sources / 32 + 1) {
  if (num_sources < 1 || num_sources > kMaxSources) {
    throw Error(ErrorKind::kInternal, "PLIC: bad number of sources " + std::to_string(num_sources));
  }
  if (context_outputs.empty() || context_outputs.size() > kMaxContexts) {
    throw Error(ErrorKind::kInternal,
                "PLIC: bad number of contexts " + std::to_string(context_outputs.size()));
  }
  priority_.assign(num_sources_ + 1, 0);
  pending_.assign(num_words_, 0);
  in_service_.assign(num_words_, 0);
  line_high_.assign(num_words_, 0);
  contexts_.resize(context_outputs.size());
  for (size_t c = 0; c < contexts_.size(); ++c) {
    contexts_[c].output = std::move(context_outputs[c]);
    contexts_[c].enables.assign(num_words_, 0);
  }
}

void Plic::Read(uint64_t offset, uint8_t* data, uint32_t len) {
  std::memset(data, 0, len);
  if (!IsRegisterAccess(offset, len) || offset >= window_size()) return;
  StoreLe(data, 4, ReadRegister(offset));
  UpdateOutputs();  // a claim clears a pending bit
}

void Plic::Write(uint64_t offset, const uint8_t* data, uint32_t len) {
  if (!IsRegisterAccess(offset, len) || offset >= window_size()) return;
  WriteRegister(offset, static_cast<uint32_t>(LoadLe(data, 4)));
  UpdateOutputs();
}

IrqLine Plic::SourceLine(uint32_t source) {
  CheckSource(source);
  return [this, source](bool level) { SetLevel(source, level); };
}

void Plic::SetLevel(uint32_t source, bool level) {
  CheckSource(source);
  SetBit(line_high_, source, level);
  // The gateway of a claimed source holds back new requests until completion,
  // which re-samples the line.
  if (!TestBit(in_service_, source)) SetBit(pending_, source, level);
  UpdateOutputs();
}

bool Plic::output_level(uint32_t context) const {
  return context < contexts_.size() && contexts_[context].output_level;
}

uint32_t Plic::ReadRegister(uint64_t offset) {
  if (offset < kPendingBase) {
    uint64_t source = (offset - kPriorityBase) / 4;
    return source <= num_sources_ ? priority_[source] : 0;  // [0] stays 0
  }
  if (offset < kEnableBase) {
    uint64_t word = (offset - kPendingBase) / 4;
    return word < num_words_ ? pending_[word] : 0;
  }
  if (offset < kContextBase) {
    uint64_t context = (offset - kEnableBase) / kEnableStride;
    uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
    if (context >= contexts_.size() || word >= num_words_) return 0;
    return contexts_[context].enables[word];
  }
  uint64_t context = (offset - kContextBase) / kContextStride;
  if (context >= contexts_.size()) return 0;
  switch ((offset - kContextBase) % kContextStride) {
    case kThreshold:
      return contexts_[context].threshold;
    case kClaimComplete:
      return Claim(contexts_[context]);
    default:
      return 0;
  }
}

void Plic::WriteRegister(uint64_t offset, uint32_t value) {
  if (offset < kPendingBase) {
    uint64_t source = (offset - kPriorityBase) / 4;
    if (source >= 1 && source <= num_sources_) priority_[source] = value & kMaxPriority;
    return;
  }
  if (offset < kEnableBase) return;  // pending bits are read-only
  if (offset < kContextBase) {
    uint64_t context = (offset - kEnableBase) / kEnableStride;
    uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
    if (context >= contexts_.size() || word >= num_words_) return;
    contexts_[context].enables[word] = value & ValidSourceMask(static_cast<uint32_t>(word));
    return;
  }
  uint64_t context = (offset - kContextBase) / kContextStride;
  if (context >= contexts_.size()) return;
  switch ((offset - kContextBase) % kContextStride) {
    case kThreshold:
      contexts_[context].threshold = value & kMaxPriority;
      break;
    case kClaimComplete:
      Complete(value);
      break;
    default:
      break;
  }
}

void Plic::CheckSource(uint32_t source) const {
  if (source < 1 || source > num_sources_) {
    throw Error(ErrorKind::kInternal, "PLIC: no interrupt source " + std::to_string(source));
  }
}

uint32_t Plic::BestPending(const Context& context) const {
  uint32_t best = 0;
  uint32_t best_priority = context.threshold;
  for (uint32_t word = 0; word < num_words_; ++word) {
    uint32_t candidates = pending_[word] & context.enables[word];
    while (candidates != 0) {
      uint32_t source = word * 32 + static_cast<uint32_t>(std::countr_zero(candidates));
      candidates &= candidates - 1;
      // Strictly greater: among equal priorities the lowest ID, seen first, wins.
      if (priority_[source] > best_priority) {
        best = source;
        best_priority = priority_[source];
      }
    }
  }
  return best;
}

uint32_t Plic::Claim(Context& context) {
  uint32_t source = BestPending(context);
  if (source != 0) {
    SetBit(pending_, source, false);
    SetBit(in_service_, source, true);
  }
  return source;
}

void Plic::Complete(uint32_t source) {
  // The spec ignores completions of sources not enabled for the context; this
  // accepts them (Linux may complete an interrupt it has just disabled) but
  // ignores IDs that name no source or no source in service.
  if (source < 1 || source > num_sources_ || !TestBit(in_service_, source)) return;
  SetBit(in_service_, source, false);
  SetBit(pending_, source, TestBit(line_high_, source));
}

uint32_t Plic::ValidSourceMask(uint32_t word) const {
  uint32_t mask = ~uint32_t{0};
  if (word == 0) mask &= ~uint32_t{1};  // source 0 does not exist
  uint32_t last = word * 32 + 31;
  if (last > num_sources_) mask &= (uint32_t{1} << (num_sources_ % 32 + 1)) - 1;
  return mask;
}

void Plic::UpdateOutputs() {
  for (Context& context : contexts_) {
    bool level = BestPending(context) != 0;
    if (level == context.output_level) continue;
    context.output_level = level;
    if (context.output) context.output(level);
  }
}

void Plic::SetBit(std::vector<uint32_t>& bits, uint32_t index, bool value) {
  uint32_t bit = uint32_t{1} << (index % 32);
  if (value) {
    bits[index / 32] |= bit;
  } else {
    bits[index / 32] &= ~bit;
  }
}

}  // namespace vmrr
