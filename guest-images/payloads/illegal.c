// illegal: executes the all-zero instruction word (undefined on both arches:
// arm64 UDF #0, riscv64's defined-illegal c.unimp) with its own trap vector
// installed, and reports the exception it takes.
//   illegal: exception cause=0x... pc=0x... addr=0x...: illegal instruction
// or, for any other exception or one elsewhere,
//   illegal: FAIL exception cause=0x... pc=0x... addr=0x...: <why>
// arm64's cause is ESR_EL1 (EC 0: unknown instruction), riscv64's scause (2).
#include "payload.h"

const char payload_name[] = "illegal";

extern const char zero_word[];

void payload_main(void) {
  __asm__ volatile(
      ".globl zero_word\n"
      "zero_word: .4byte 0\n" ::
          : "memory");
  fail("the all-zero word did not trap");
}

int payload_exception(uint64_t cause, uint64_t pc, uint64_t addr) {
  const char* why = 0;
  if (pc != (uintptr_t)zero_word) {
    why = "not at the all-zero word";
  } else if (!arch_is_illegal_instruction(cause)) {
    why = "not an illegal-instruction exception";
  }
  put_str(payload_name);
  put_str(why ? ": FAIL exception cause=0x" : ": exception cause=0x");
  put_hex(cause, 16);
  put_str(" pc=0x");
  put_hex(pc, 16);
  put_str(" addr=0x");
  put_hex(addr, 16);
  put_str(": ");
  put_str(why ? why : "illegal instruction");
  put_str("\n");
  arch_power_off();
}
