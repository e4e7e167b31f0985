#!/usr/bin/env bash
# rig-arches: arm64 riscv64
# vmrr's own kernel (guest-images/guest-kernel, /guest/src in the rig) on the
# patched host: the users' command, `vmrr record --kernel /guest/src/Image
# --disk /guest/rootfs.img --append vmrr.workload=mixed` (no initrd: the
# kernel has virtio-blk and ext4 built in and root=/dev/vda as its default),
# passes, and its replay in a fresh host exits 0 with the console output byte
# for byte.  `--until-fail 20` on the bug-irq race keeps a record whose kernel
# oopsed in vmrr_bug_irq_consume and reset, and its replay in a fresh host
# shows the same oops byte for byte (the kept run's output is the end of the
# record's stdout, which has every run's).  The failure rates are measured by
# tests/soak/races, not here.  First, without a rig: gdb-multiarch resolves
# the race module's functions in the build's vmlinux, vmrr_retire (the one
# writer of the NULL the consumer oopses on) is a function of its own, not
# inlined, and the kernel's gdb scripts load.  Last, gdb on the kept trace
# (tools/gdb-replay): to the oops, a watchpoint on the NULL field,
# reverse-continue into its writer, reverse-stepi and stepi, to the end.
set -u
arch="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT

kdir="$("$VMRR_REPO/guest-images/guest-kernel/build" "$arch")" || fail "building vmrr's $arch kernel failed"
root="$(chroot_dir)"
gdb=()
if ! [ -x "$root/usr/bin/gdb-multiarch" ] && ! command -v gdb-multiarch > /dev/null; then
  # As tools/gdb-replay does: Debian's gdb-multiarch on this machine.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gdb-multiarch > /dev/null 2>&1 ||
    echo "note: cannot install gdb-multiarch (apt)"
fi
if [ -x "$root/usr/bin/gdb-multiarch" ]; then
  gdb=(in_chroot gdb-multiarch) kdir_gdb="${kdir#"$root"}"
elif command -v gdb-multiarch > /dev/null; then
  gdb=(gdb-multiarch) kdir_gdb="$kdir"
fi
if [ ${#gdb[@]} -gt 0 ]; then
  "${gdb[@]}" -batch -nx -iex 'set auto-load python-scripts off' \
    -ex "set substitute-path /usr/src/linux-vmrr $kdir_gdb/source" \
    -ex 'info line vmrr_bug_irq_consume' -ex 'info line vmrr_retire' -ex 'list vmrr_bug_irq_consume,+2' \
    -ex "source $kdir_gdb/vmlinux-gdb.py" -ex 'help lx-dmesg' "$kdir_gdb/vmlinux" > "$share/gdb.out" 2>&1
  grep -q '^Line [0-9]* of "drivers/vmrr/vmrr_races.c" starts at address .* <vmrr_bug_irq_consume>' "$share/gdb.out" ||
    fail "gdb does not resolve vmrr_bug_irq_consume: $(grep -v "^ \{2,\}" "$share/gdb.out" | tail -8)"
  [ "$(grep -c '^Line [0-9]* of "drivers/vmrr/vmrr_races.c" starts at address .* <vmrr_retire>' "$share/gdb.out")" = 1 ] ||
    fail "vmrr_retire is not one function of its own: $(grep vmrr_retire "$share/gdb.out" | head -3)"
  grep -q 'vmrr_consume(r, h, true)' "$share/gdb.out" || fail "gdb lists no source of vmrr_bug_irq_consume"
  grep -q 'kernel log buffer' "$share/gdb.out" || fail "the kernel's gdb scripts did not load: $(tail -3 "$share/gdb.out")"
  echo "ok: ${gdb[*]}: $(grep -m1 '<vmrr_bug_irq_consume>' "$share/gdb.out" | cut -c1-70); gdb scripts load"
else
  fail "no gdb-multiarch in the chroot or on this machine"
fi

"$VMRR_REPO/tools/rig" "$arch" --host-kvm patched --share "$share" -- \
  'ls /guest/src > /share/src.txt;
   vmrr record -o /share/mixed.vmrr --kernel /guest/src/Image --disk /guest/rootfs.img \
     --append vmrr.workload=mixed > /share/mixed.out 2> /share/mixed.err;
   echo $? > /share/mixed.rc;
   vmrr record --until-fail 20 -o /share/bug.vmrr --kernel /guest/src/Image --disk /guest/rootfs.img \
     --append vmrr.workload=bug-irq > /share/bug.out 2> /share/bug.err;
   echo $? > /share/bug.rc' || fail "the recording rig run failed"
for f in Image vmlinux vmlinux-gdb.py; do
  grep -qx "$f" "$share/src.txt" || fail "/guest/src lacks $f: $(tr '\n' ' ' < "$share/src.txt")"
done
[ "$(cat "$share/mixed.rc")" = 0 ] || fail "mixed record exited $(cat "$share/mixed.rc"): $(tail -3 "$share/mixed.err")"
grep -q "vmrr-workload mixed: PASS" "$share/mixed.out" || fail "mixed: $(tail -3 "$share/mixed.out")"
grep -q "best-effort" "$share/mixed.err" && fail "the mixed record is best-effort: $(cat "$share/mixed.err")"
echo "ok: mixed recorded from /guest/src/Image without an initrd ($(grep -m1 'Linux version' "$share/mixed.out" | cut -c1-90))"

# The kept run reset (exit 3) after an oops in the race's consumer.
grep -q "kept its trace" "$share/bug.err" || fail "until-fail kept no failing run: $(tail -3 "$share/bug.err")"
[ "$(cat "$share/bug.rc")" = 3 ] || fail "the kept bug-irq run exited $(cat "$share/bug.rc"), not 3 (reset)"
grep -q "vmrr_bug_irq_consume" "$share/bug.out" || fail "no oops in vmrr_bug_irq_consume: $(tail -5 "$share/bug.out")"
grep -q "Kernel panic" "$share/bug.out" || fail "no kernel panic after the oops"
echo "ok: bug-irq: $(grep -m1 'kept its trace' "$share/bug.err" | cut -c1-80)"

"$VMRR_REPO/tools/rig" "$arch" --host-kvm patched --no-build --share "$share" -- \
  'vmrr replay /share/mixed.vmrr > /share/mixed-replay.out 2> /share/mixed-replay.err;
   echo $? > /share/mixed-replay.rc;
   vmrr replay /share/bug.vmrr > /share/bug-replay.out 2> /share/bug-replay.err;
   echo $? > /share/bug-replay.rc' || fail "the replaying rig run failed"
[ "$(cat "$share/mixed-replay.rc")" = 0 ] ||
  fail "mixed replay exited $(cat "$share/mixed-replay.rc"): $(tail -3 "$share/mixed-replay.err")"
cmp -s "$share/mixed.out" "$share/mixed-replay.out" ||
  fail "mixed replay's console output differs: $(diff "$share/mixed.out" "$share/mixed-replay.out" | head -5)"
echo "ok: mixed replayed in a fresh host, console output identical"
[ "$(cat "$share/bug-replay.rc")" = 0 ] ||
  fail "bug-irq replay exited $(cat "$share/bug-replay.rc"): $(tail -3 "$share/bug-replay.err")"
size=$(stat -c %s "$share/bug-replay.out")
grep -q "vmrr_bug_irq_consume" "$share/bug-replay.out" || fail "the replay shows no oops"
tail -c "$size" "$share/bug.out" | cmp -s - "$share/bug-replay.out" ||
  fail "bug-irq replay's console output differs from the kept run's"
echo "ok: bug-irq replayed in a fresh host: the same oops byte for byte ($(grep -m1 -o 'pc : vmrr_bug_irq_consume[^ ]*\|epc : vmrr_bug_irq_consume[^ ]*' "$share/bug-replay.out"))"

# gdb on the failing run (tools/gdb-replay: a patched host replays it with
# --gdb, gdb-multiarch here): continue to the oops (a breakpoint on die();
# the kernel's lx-dmesg shows the oops message and lx-ps lists init),
# a watchpoint on the item's `buf` the consumer read NULL from (the race's
# item whose buf is NULL: `it` in vmrr_bug_irq_consume), reverse-continue
# stops in vmrr_retire (its one writer), 3 reverse-stepi and 3 stepi come
# back to the same registers, and continue runs to the end of the trace with
# the kept run's console output.
cat > "$share/bug.gdb" <<'GDB'
set pagination off
set confirm off
break die
continue
echo @@oops\n
monitor when
lx-dmesg
lx-ps
set $r = &vmrr_races[0]
print $r->name
set $it = $r->items[0].buf == 0 ? &$r->items[0] : &$r->items[1]
print $it->buf
printf "retired %u\n", $r->retired
delete 1
watch -l $it->buf
reverse-continue
echo @@writer\n
bt 1
printf "retired %u\n", $r->retired
monitor when
info registers
reverse-stepi
reverse-stepi
reverse-stepi
echo @@back3\n
monitor when
stepi
stepi
stepi
echo @@again\n
monitor when
info registers
delete
continue
echo @@end\n
GDB
mkdir "$share/gdb"
"$VMRR_REPO/tools/gdb-replay" --output "$share/gdb" "$arch" "$share/bug.vmrr" \
  -batch -x "$share/bug.gdb" > "$share/gdb.out" 2>&1
status=$?
[ "$status" = 0 ] || fail "gdb on the bug-irq trace exited $status: $(tail -5 "$share/gdb.out")"
section() { gdb_section "$share/gdb.out" "$1"; }
regs() { gdb_regs "$share/gdb.out" "$1"; }
count() { gdb_count "$share/gdb.out" "$1"; }
grep -q "^Breakpoint 1, die " "$share/gdb.out" || fail "continue did not stop at the oops: $(head -12 "$share/gdb.out")"
section oops | grep -q '= 0x[0-9a-f]* "irq"' || fail "not the irq race at the oops: $(section oops)"
section oops | grep -q '^\[ *[0-9.]*\] Unable to handle kernel ' ||
  fail "lx-dmesg at the oops shows no oops: $(section oops | tail -5)"
section oops | grep -q '^0x[0-9a-f]* *1 *init$' || fail "lx-ps at the oops lists no init: $(section oops | tail -5)"
section oops | grep -q '^\$[0-9]* = (struct vmrr_buf \*) 0x0$' || fail "no item with buf NULL at the oops: $(section oops)"
section writer | grep -q '^#0 .* in vmrr_retire ' ||
  fail "reverse-continue did not stop in vmrr_retire: $(sed -n '/^@@oops/,/^@@back3/p' "$share/gdb.out" | grep -v '^[a-z][a-z0-9]* *0x' | tail -8)"
grep -q "^Old value = (struct vmrr_buf \*) 0x0" "$share/gdb.out" || fail "the watchpoint did not report the write of NULL"
# The last write: the retirement the oops came after (it counts itself
# after its write).
retired_oops=$(section oops | sed -n 's/^retired //p') retired_writer=$(section writer | sed -n 's/^retired //p')
[ -n "$retired_oops" ] && [ "$retired_writer" = $((retired_oops - 1)) ] ||
  fail "reverse-continue stopped in an earlier retirement ($retired_writer) than the oops's ($retired_oops)"
at=$(count writer) back=$(count back3) again=$(count again)
[ -n "$at" ] && [ "$back" = $((at - 3)) ] && [ "$again" = "$at" ] ||
  fail "reverse-stepi x3 / stepi x3 went from @$at to @$back and @$again"
[ -n "$(regs writer)" ] && [ "$(regs writer)" = "$(regs again)" ] ||
  fail "registers after 3 reverse-stepi and 3 stepi differ: $(diff <(regs writer) <(regs again) | head -6)"
sed -n '/^@@again$/,$p' "$share/gdb.out" | grep -q "No more reverse-execution history" ||
  fail "continue did not reach the end: $(tail -4 "$share/gdb.out")"
[ "$(cat "$share/gdb/replay.rc" 2>/dev/null)" = 0 ] ||
  fail "the replay under gdb exited $(cat "$share/gdb/replay.rc" 2>/dev/null): $(tail -2 "$share/gdb/replay.err")"
tail -c "$size" "$share/bug.out" | cmp -s - "$share/gdb/replay.out" ||
  fail "the console output under gdb differs from the kept run's"
echo "ok: gdb: oops at @$(count oops), watch -l it->buf, reverse-continue to $(section writer | grep -m1 -o 'vmrr_retire ([^)]*) at [^ ]*') @$at, 3 back and 3 on: same registers; to the end with the record's console"
