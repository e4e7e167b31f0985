#!/usr/bin/env bash
# rig-arches: arm64 riscv64
# Checkpoints and seeking (vmrr replay --to, --verify-checkpoints) on a Linux
# trace recorded on the patched host (vmrr owns guest time), in the same
# host (fresh-host replays are host_time's):
#   - --verify-checkpoints 8 replays to the end, then from 8 checkpoints
#     (last to first) to the end again: "8/8 ... identically", exit 0, and
#     the console output of the straight replay is the record's;
#   - --to at 5 random instruction counts in increasing order (a straight
#     replay stopping at each) and the same counts in random order after
#     going to the end (each reached from a checkpoint) print the same PC
#     and registers;
#   - --to an event index stops at that event; a target past the end or
#     not a number exits 2 with one line.
# The trace is Linux `mixed` cut at VMRR_CHECKPOINT_INSTRUCTIONS guest
# instructions (default 300000000, the kernel booting: the replays
# here cost about seven of it); 0 records the whole run (the acceptance run:
# arm64 2.4 G, riscv64 3.9 G instructions, 20-40 min with this script).
set -u
arch="$1"
limit="${VMRR_CHECKPOINT_INSTRUCTIONS:-300000000}"
cut=""
[ "$limit" = 0 ] || cut="--max-instructions $limit"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT

# In the host: record, then five random counts once the trace's length is
# known (printed: a failure can be redone with them), then the replays.
cat > "$share/run.sh" <<'SCRIPT'
cut="$1"
vmrr record -o /share/t.vmrr --kernel /guest/Image --initrd /guest/initrd.img \
  --disk /guest/rootfs.img --append vmrr.workload=mixed $cut > /share/record.out 2> /share/record.err
echo $? > /share/record.rc
vmrr inspect --json /share/t.vmrr > /share/inspect.json
end=$(sed -n 's/.*"last_instruction": "*\([0-9]*\).*/\1/p' /share/inspect.json)
events=$(sed -n 's/.*"events": "*\([0-9]*\).*/\1/p' /share/inspect.json | head -1)
echo "$end $events" > /share/length
set -- $(awk -v end="$end" -v seed="$(od -An -N4 -tu4 /dev/urandom)" \
  'BEGIN { srand(seed); for (i = 0; i < 5; i++) printf "%d ", int(rand() * end) }')
echo "$*" > /share/counts
fwd=$(printf '%s\n' "$@" | sort -n | sed 's/^/--to @/' | tr '\n' ' ')
back="--to @$end $(printf -- '--to @%s ' "$@")"
vmrr replay --verify-checkpoints 8 /share/t.vmrr > /share/verify.out 2> /share/verify.err
echo $? > /share/verify.rc
vmrr replay $fwd /share/t.vmrr > /share/forward.out 2> /share/forward.err
echo $? > /share/forward.rc
vmrr replay $back /share/t.vmrr > /share/backward.out 2> /share/backward.err
echo $? > /share/backward.rc
vmrr replay --to $((events / 3)) /share/t.vmrr > /share/event.out 2> /share/event.err
echo $? > /share/event.rc
vmrr replay --to "$events" /share/t.vmrr > /dev/null 2> /share/past.err
echo $? > /share/past.rc
vmrr replay --to @x12 /share/t.vmrr > /dev/null 2> /share/bad.err
echo $? > /share/bad.rc
SCRIPT
"$VMRR_REPO/tools/rig" "$arch" --host-kvm patched --share "$share" --timeout 3600 -- \
  "sh /share/run.sh '$cut'" || fail "the rig run failed"
[ "$(cat "$share/record.rc")" = 0 ] || [ "$(cat "$share/record.rc")" = 5 ] ||
  fail "record exited $(cat "$share/record.rc"): $(tail -3 "$share/record.err")"
read -r end events < "$share/length"
read -r -a counts < "$share/counts"
event=$((events / 3))
echo "recorded $events events to instruction $end; counts: ${counts[*]}"
[ "${#counts[@]}" = 5 ] || fail "no counts: $(cat "$share/counts")"

[ "$(cat "$share/verify.rc")" = 0 ] ||
  fail "--verify-checkpoints exited $(cat "$share/verify.rc"): $(tail -5 "$share/verify.err")"
grep -qx "8/8 checkpoints replayed to the end identically" "$share/verify.out" ||
  fail "no 8/8 line: $(tail -3 "$share/verify.out") $(tail -3 "$share/verify.err")"
grep -v "checkpoints replayed to the end identically" "$share/verify.out" > "$share/verify.console"
cmp -s "$share/record.out" "$share/verify.console" ||
  fail "the straight replay's console output differs: $(diff "$share/record.out" "$share/verify.console" | head -5)"
echo "ok: $(grep "checkpoints:" "$share/verify.err" | tail -1)"

for f in forward backward; do
  [ "$(cat "$share/$f.rc")" = 0 ] || fail "--to ($f) exited $(cat "$share/$f.rc"): $(tail -5 "$share/$f.err")"
done
# One register dump per target: from "stopped at --to X" to the next.
dump() { awk -v t="--to @$2:" '/^vmrr: stopped at/ { p = index($0, t) > 0 } p' "$share/$1.out"; }
for c in "${counts[@]}"; do
  a="$(dump forward "$c")" b="$(dump backward "$c")"
  [ -n "$a" ] || fail "forward replay printed no registers for @$c"
  [ "$a" = "$b" ] || fail "@$c: the dump after seeking back differs: $(diff <(echo "$a") <(echo "$b") | head -6)"
  grep -q "instruction $c," <<<"$a" || fail "@$c: stopped elsewhere: $(head -1 <<<"$a")"
done
grep -q "from checkpoint" "$share/backward.err" || fail "the backward seeks used no checkpoint: $(cat "$share/backward.err")"
echo "ok: --to at ${counts[*]}: forward and from checkpoints identical; $(grep -c 'from checkpoint' "$share/backward.err") seeks from checkpoints"

[ "$(cat "$share/event.rc")" = 0 ] || fail "--to $event exited $(cat "$share/event.rc"): $(cat "$share/event.err")"
grep -q "next event $event " "$share/event.out" || fail "--to $event stopped elsewhere: $(head -1 "$share/event.out")"
[ "$(cat "$share/past.rc")" = 2 ] || fail "--to past the end exited $(cat "$share/past.rc")"
grep -q "the trace has $events events" "$share/past.err" || fail "--to past the end: $(cat "$share/past.err")"
[ "$(cat "$share/bad.rc")" = 2 ] || fail "--to @x12 exited $(cat "$share/bad.rc")"
grep -q "an event index N or an instruction count @COUNT" "$share/bad.err" || fail "--to @x12: $(cat "$share/bad.err")"
echo "ok: --to event $event: $(head -1 "$share/event.out" | cut -c1-120)"
