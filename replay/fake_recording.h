// Recordings of the fake guest (replay/fake_guest.h) for replay's tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/trace.pb.h"

namespace vmrr::testing {

struct Recording {
  std::vector<proto::Event> events;
  proto::TraceEnd end;
  std::string output;
  uint64_t final_acc = 0;
  uint64_t interrupts = 0;
};

// The record side of a VMM over the fake guest (TestProgram(400)): devices
// answer reads with randomness, a "timer" fires at random kicks, the DMA
// register fills memory.  `stop_after`: ends like --timeout once the guest
// has retired this many; `noise_extra`: the ADD 3 retries (count skew) one
// time in 3.
Recording Record(uint32_t seed, uint64_t stop_after = UINT64_MAX, uint64_t noise_extra = 0);

}  // namespace vmrr::testing
