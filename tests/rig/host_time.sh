#!/usr/bin/env bash
# rig-arches: arm64 riscv64
# Guest time on a host with the vmrr KVM series (tools/rig --host-kvm
# patched): doctor reports host time control; a Linux record of the console
# workload, typed by --input at random host times with the recorder's stop
# jitter on, owns guest time (inspect: "mode deterministic", the record's
# guest-time summary line, timer accesses (riscv64 SBI set_timer, arm64
# CNTV_* registers) recorded as hypercalls, no best-effort warning) and
# checksums each typed line; its replay in a fresh patched host exits 0 with
# the console output byte for byte; on a stock host the replay is refused
# with a clear message (exit 2), doctor says best-effort, record warns, and
# a best-effort Linux trace replays to a clean first-divergence report.
set -u
arch="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT

printf "@wait type lines, 'end' to finish\nhello vmrr\nsecond line\n\nend\n" > "$share/input.txt"
"$VMRR_REPO/tools/rig" "$arch" --host-kvm patched --share "$share" -- \
  'vmrr doctor --json > /share/doctor.json;
   VMRR_RECORD_JITTER_US=200 vmrr record -o /share/l.vmrr --kernel /guest/Image \
     --initrd /guest/initrd.img --disk /guest/rootfs.img --input /share/input.txt \
     --append "vmrr.workload=console quiet" > /share/record.out 2> /share/record.err;
   echo $? > /share/record.rc;
   vmrr inspect /share/l.vmrr > /share/inspect.txt' || fail "the patched rig run failed"
jq() { in_chroot jq "$@" <"$share/doctor.json"; }
[ "$(jq -r .host_time_control)" = true ] || fail "doctor: no host time control: $(jq -r .host_time_note)"
cap=KVM_CAP_RISCV_USER_TIME
[ "$arch" = arm64 ] && cap=KVM_CAP_ARM_USER_TIME
grep -q "$cap" <<<"$(jq -r .host_time_note)" || fail "doctor note: $(jq -r .host_time_note)"
[ "$(cat "$share/record.rc")" = 0 ] || fail "record exited $(cat "$share/record.rc"): $(tail -3 "$share/record.err")"
sum() { printf '%s' "$1" | sha256sum | cut -c1-16; }
for want in "console: line 1 $(sum 'hello vmrr')" "console: line 2 $(sum 'second line')" \
  "console: line 3 $(sum '')" "console: 3 lines" "vmrr-workload console: PASS"; do
  grep -q "$want" "$share/record.out" || fail "record output lacks '$want': $(tail -5 "$share/record.out")"
done
grep -q "guest time owned by vmrr: .* counter reads" "$share/record.err" ||
  fail "no guest-time summary: $(tail -3 "$share/record.err")"
grep -q "best-effort" "$share/record.err" && fail "record warned best-effort on the patched host"
grep -q "mode *deterministic" "$share/inspect.txt" || fail "inspect: $(cat "$share/inspect.txt")"
# The guest's timer accesses reach the VMM, which records them as hypercalls.
grep -q "hypercall:" "$share/inspect.txt" || fail "no timer hypercalls: $(cat "$share/inspect.txt")"
echo "ok: patched host: $(grep 'guest time owned' "$share/record.err")"

"$VMRR_REPO/tools/rig" "$arch" --host-kvm patched --no-build --share "$share" -- \
  'vmrr replay /share/l.vmrr > /share/replay-patched.out 2> /share/replay-patched.err;
   echo $? > /share/replay-patched.rc' || fail "the second patched rig run failed"
[ "$(cat "$share/replay-patched.rc")" = 0 ] ||
  fail "replay exited $(cat "$share/replay-patched.rc"): $(cat "$share/replay-patched.err")"
cmp -s "$share/record.out" "$share/replay-patched.out" ||
  fail "replay's console output differs: $(diff "$share/record.out" "$share/replay-patched.out" | head -5)"
echo "ok: replayed in a fresh patched host, console output identical ($(tail -1 "$share/replay-patched.err" | cut -c1-160))"

"$VMRR_REPO/tools/rig" "$arch" --no-build --share "$share" -- \
  'vmrr doctor --json > /share/doctor-stock.json;
   vmrr replay /share/l.vmrr > /dev/null 2> /share/replay.err; echo $? > /share/replay.rc;
   vmrr record -o /share/s.vmrr --kernel /guest/payloads/irqmix 2> /share/stock-record.err > /dev/null;
   vmrr record -o /share/b.vmrr --kernel /guest/Image --initrd /guest/initrd.img \
     --disk /guest/rootfs.img --append "vmrr.workload=entropy quiet" \
     --max-instructions 1000000000 > /dev/null 2> /share/best-effort-record.err;
   timeout 600 vmrr replay /share/b.vmrr > /dev/null 2> /share/best-effort-replay.err;
   echo $? > /share/best-effort-replay.rc' ||
  fail "the stock rig run failed"
[ "$(in_chroot jq -r .host_time_control < "$share/doctor-stock.json")" = false ] ||
  fail "the stock host claims host time control"
[ "$(in_chroot jq -r .verdict < "$share/doctor-stock.json")" = BEST_EFFORT ] ||
  fail "stock doctor verdict: $(in_chroot jq -r .verdict < "$share/doctor-stock.json")"
[ "$(cat "$share/replay.rc")" = 2 ] || fail "replay on a stock host exited $(cat "$share/replay.rc")"
grep -q "cannot hand guest time to vmrr" "$share/replay.err" || fail "replay message: $(cat "$share/replay.err")"
grep -q "best-effort" "$share/stock-record.err" || fail "no best-effort warning on the stock host"
# A Linux guest recorded best-effort read the host's clock: its replay must
# report where it first went another way, not hang or pass.
grep -q "best-effort" "$share/best-effort-record.err" || fail "no best-effort warning for Linux"
[ "$(cat "$share/best-effort-replay.rc")" = 3 ] ||
  fail "best-effort Linux replay exited $(cat "$share/best-effort-replay.rc"): $(tail -3 "$share/best-effort-replay.err")"
for want in "replay diverged at event" "expected: #" "actual:   #" "last matching point"; do
  grep -q "$want" "$share/best-effort-replay.err" ||
    fail "divergence report lacks '$want': $(cat "$share/best-effort-replay.err")"
done
echo "ok: stock host: best-effort Linux replay: $(grep -m1 "replay diverged" "$share/best-effort-replay.err" | cut -c1-160)"
echo "ok: stock host: replay refused ($(tail -1 "$share/replay.err" | cut -c1-100)...)"
