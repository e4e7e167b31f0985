#include "replay/recorder.h"

#include "replay/sha256.h"

namespace vmrr {

void ToProto(const ExecutionPoint& point, proto::ExecutionPoint* out) {
  out->set_instructions(point.instructions);
  out->set_pc(point.pc);
  out->set_regs_digest(point.regs_digest);
}

ExecutionPoint FromProto(const proto::ExecutionPoint& point) {
  return {point.instructions(), point.pc(), point.regs_digest()};
}

Recorder::Recorder(PointSource point, EventSink sink)
    : point_source_(std::move(point)), sink_(std::move(sink)) {}

void Recorder::BeginStop(bool asynchronous) {
  FlushMemoryWrite();
  asynchronous_ = asynchronous;
  point_.reset();
}

void Recorder::EndStop() { FlushMemoryWrite(); }

const ExecutionPoint& Recorder::Point() {
  if (!point_) point_ = point_source_();
  return *point_;
}

proto::Event Recorder::NewEvent() {
  proto::Event event;
  ToProto(Point(), event.mutable_at());
  event.set_asynchronous(asynchronous_);
  return event;
}

void Recorder::Emit(proto::Event& event) {
  sink_(event);
  ++events_;
}

void Recorder::MmioRead(uint64_t gpa, uint32_t len, uint64_t value) {
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  proto::MmioRead* read = event.mutable_mmio_read();
  read->set_gpa(gpa);
  read->set_len(len);
  read->set_value(value);
  Emit(event);
}

void Recorder::MemoryWritten(uint64_t gpa, const uint8_t* data, size_t len) {
  if (len == 0) return;
  if (pending_write_) {
    proto::MemoryWrite* w = pending_write_->mutable_memory_write();
    if (w->gpa() + w->data().size() == gpa) {
      w->mutable_data()->append(reinterpret_cast<const char*>(data), len);
      return;
    }
    FlushMemoryWrite();
  }
  pending_write_ = NewEvent();
  proto::MemoryWrite* w = pending_write_->mutable_memory_write();
  w->set_gpa(gpa);
  w->set_data(reinterpret_cast<const char*>(data), len);
}

void Recorder::FlushMemoryWrite() {
  if (!pending_write_) return;
  proto::Event event = std::move(*pending_write_);
  pending_write_.reset();
  proto::MemoryWrite* w = event.mutable_memory_write();
  if (w->data().size() >= kDedupMinBytes) {
    Sha256::Digest digest = Sha256::Of(w->data().data(), w->data().size());
    auto [it, inserted] = write_by_digest_.emplace(digest, events_ + 1);
    if (!inserted) {
      deduplicated_bytes_ += w->data().size();
      w->clear_data();
      w->set_same_data_as(it->second);
    }
  }
  Emit(event);
}

void Recorder::InterruptLine(uint32_t line, bool level) {
  auto [it, inserted] = line_levels_.emplace(line, false);
  if (it->second == level) return;  // every line starts low
  it->second = level;
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  event.mutable_interrupt()->set_line(line);
  event.mutable_interrupt()->set_level(level);
  Emit(event);
}

void Recorder::ConsoleInput(const uint8_t* data, size_t len) {
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  event.mutable_console_input()->set_data(reinterpret_cast<const char*>(data), len);
  Emit(event);
}

void Recorder::Hypercall(uint64_t function, const std::vector<uint64_t>& values) {
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  event.mutable_hypercall()->set_function(function);
  for (uint64_t v : values) event.mutable_hypercall()->add_values(v);
  Emit(event);
}

void Recorder::MemoryDigest(uint64_t digest, const std::vector<uint64_t>& pages) {
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  proto::MemoryDigest* d = event.mutable_memory_digest();
  d->set_digest(digest);
  d->set_pages(pages.size());
  uint64_t previous = 0;
  for (uint64_t page : pages) {
    d->add_page_gaps(page - previous);
    previous = page;
  }
  Emit(event);
}

void Recorder::Idle(uint64_t ticks) {
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  event.mutable_idle()->set_ticks(ticks);
  Emit(event);
}

void Recorder::ClockRead(uint32_t counter) {
  FlushMemoryWrite();
  proto::Event event = NewEvent();
  event.mutable_clock_read()->set_counter(counter);
  Emit(event);
}

}  // namespace vmrr
