#include "replay/fake_recording.h"

#include <gtest/gtest.h>

#include <random>

#include "replay/fake_guest.h"
#include "replay/recorder.h"

namespace vmrr::testing {

Recording Record(uint32_t seed, uint64_t stop_after, uint64_t noise_extra) {
  const uint64_t loops = 400;
  Recording rec;
  FakeGuest guest(TestProgram(loops), 0, seed);
  if (noise_extra != 0) guest.set_retry_noise(3, 3, noise_extra);
  Recorder recorder(
      [&guest] {
        return ExecutionPoint{guest.Instructions(), guest.Pc(), guest.RegistersDigest()};
      },
      [&rec](const proto::Event& e) { rec.events.push_back(e); });
  std::mt19937 rng(seed);
  for (;;) {
    guest.set_kick_after(rng() % 4 == 0 ? 0 : rng() % 200);
    VcpuStop stop = guest.Run();
    if (stop.kind == VcpuStop::Kind::kInterrupted) {
      recorder.BeginStop(true);
      if (guest.Instructions() >= stop_after) {  // like --timeout: ends at a kick
        rec.end.set_reason("timeout");
        ToProto(recorder.Point(), rec.end.mutable_at());
        break;
      }
      if (!guest.line_high() && rng() % 3 == 0) {
        guest.SetInterruptLine(kTimerLine, true);
        recorder.InterruptLine(kTimerLine, true);
        ++rec.interrupts;
      }
      if (rng() % 5 == 0) {
        std::vector<uint64_t> pages;
        uint64_t digest = guest.MemoryDigest(&pages);
        recorder.MemoryDigest(digest, pages);
      }
      recorder.EndStop();
      continue;
    }
    recorder.BeginStop(false);
    if (stop.kind == VcpuStop::Kind::kPowerOff) {
      rec.end.set_reason("poweroff");
      ToProto(recorder.Point(), rec.end.mutable_at());
      break;
    }
    EXPECT_EQ(stop.kind, VcpuStop::Kind::kMmio);
    if (!stop.is_write) {
      uint64_t value = rng();
      if (stop.gpa == kAckReg) {
        guest.SetInterruptLine(kTimerLine, false);
        recorder.InterruptLine(kTimerLine, false);
        value = 0;
      }
      recorder.MmioRead(stop.gpa, stop.len, value);
      guest.CompleteMmioRead(value);
    } else if (stop.gpa == kOutputReg) {
      rec.output.push_back(static_cast<char>(stop.write_value));
    } else if (stop.gpa == kDmaReg) {
      std::string block(700, static_cast<char>(rng() % 3));  // often the same block again
      guest.WriteMemory(0, block);
      recorder.MemoryWritten(0, reinterpret_cast<const uint8_t*>(block.data()), 300);
      recorder.MemoryWritten(300, reinterpret_cast<const uint8_t*>(block.data()) + 300, 400);
    }
    recorder.EndStop();
  }
  rec.final_acc = guest.acc();
  return rec;
}

}  // namespace vmrr::testing
