#!/usr/bin/env bash
# rig-arches: riscv64
# gdb over a replay (tools/gdb-replay, gdb-multiarch here, the replay in a
# patched emulated host): a Linux `mixed` trace cut at 800 M instructions (console output by then),
# recorded in the same test.  A batch script:
#   - stepi 3 times, reverse-stepi 3 times: back at the first instruction
#     with the same registers; stepi 3 times again: the same registers as
#     after the first 3;
#   - monitor goto 1500 (event 1500, an exit or an interrupt) sets $p to the
#     PC there; back at the start (monitor goto 0) with a breakpoint at $p,
#     continue stops at $p, no later than event 1500's count;
#   - continue to the end: gdb hears the history's end; after gdb detaches the
#     replay exits 0 and its console output is the record's, byte for byte.
set -u
arch="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT

"$VMRR_REPO/tools/rig" "$arch" --host-kvm patched --share "$share" -- \
  'vmrr record -o /share/t.vmrr --kernel /guest/Image --initrd /guest/initrd.img \
     --disk /guest/rootfs.img --append vmrr.workload=mixed --max-instructions 800000000 \
     > /share/record.out 2> /share/record.err; echo $? > /share/record.rc' ||
  fail "the recording rig run failed"
[ -s "$share/t.vmrr" ] || fail "no trace: $(tail -3 "$share/record.err")"
[ -s "$share/record.out" ] || fail "the record printed nothing to compare the replay's output with"

cat >"$share/script.gdb" <<'GDB'
echo @@start\n
monitor when
info registers
stepi
stepi
stepi
echo @@after3\n
info registers
reverse-stepi
reverse-stepi
reverse-stepi
echo @@back\n
monitor when
info registers
stepi
stepi
stepi
echo @@again\n
info registers
echo @@goto\n
monitor goto 1500
maintenance flush register-cache
set $p = $pc
monitor when
monitor goto 0
maintenance flush register-cache
break *$p
continue
echo @@forward\n
monitor when
print/x $pc == $p
delete
continue
echo @@end\n
GDB
mkdir "$share/out"
"$VMRR_REPO/tools/gdb-replay" --output "$share/out" "$arch" "$share/t.vmrr" \
  -batch -x "$share/script.gdb" >"$share/gdb.out" 2>&1
status=$?
[ "$status" = 0 ] || fail "gdb exited $status: $(tail -5 "$share/gdb.out")"
section() { gdb_section "$share/gdb.out" "$1"; }
regs() { gdb_regs "$share/gdb.out" "$1"; }
grep -q "^event 0 next, instruction 0," "$share/gdb.out" || fail "monitor when at the start: $(section start | head -1)"
[ -n "$(regs after3 | grep '^pc ')" ] || fail "no registers after 3 steps: $(tail -5 "$share/gdb.out")"
[ "$(regs start)" = "$(regs back)" ] ||
  fail "3 reverse-stepi after 3 stepi: registers differ: $(diff <(regs start) <(regs back) | head -6)"
section back | grep -q "instruction 0," || fail "3 reverse-stepi did not reach instruction 0: $(section back | head -1)"
[ "$(regs after3)" = "$(regs again)" ] ||
  fail "stepi after reverse: registers differ: $(diff <(regs after3) <(regs again) | head -6)"
echo "ok: stepi x3, reverse-stepi x3, stepi x3: same registers ($(regs after3 | grep '^pc ' | tr -s ' '))"

count() { gdb_count "$share/gdb.out" "$1"; }
at=$(count goto) fwd=$(count forward)
[ -n "$at" ] || fail "monitor goto 1500: $(section goto | head -3)"
[ -n "$fwd" ] && [ "$fwd" -le "$at" ] || fail "continue to the breakpoint: $(section forward | head -3)"
section forward | grep -q '^\$[0-9]* = 0x1' || fail "continue stopped elsewhere: $(section forward)"
echo "ok: from the start, a breakpoint at the pc of event 1500 (@$at) stops at @$fwd"

grep -qi "no more reverse-execution history\|exited" "$share/gdb.out" || fail "continue did not reach the end: $(section end | tail -3)"
[ "$(cat "$share/out/replay.rc" 2>/dev/null)" = 0 ] || fail "the replay exited $(cat "$share/out/replay.rc" 2>/dev/null): $(tail -2 "$share/out/replay.err")"
cmp -s "$share/record.out" "$share/out/replay.out" ||
  fail "console output after gdb differs from the record's: $(diff "$share/record.out" "$share/out/replay.out" | head -5)"
echo "ok: continued to the end; the replay exits 0 with the record's console output ($(stat -c %s "$share/record.out") bytes)"
