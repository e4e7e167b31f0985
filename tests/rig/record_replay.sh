#!/usr/bin/env bash
# Record and replay the bare-metal payloads (irqmix, devread, blk) in two
# separate rig boots sharing a folder: every replay exits 0 with the same
# console output as its record, and records differ from one another (random
# interrupt timing and device values).  A trace edited to move one interrupt
# by one instruction makes replay exit 3 with a first-divergence report; a
# recorder killed with SIGKILL leaves a prefix that replays to its end with
# exit 0 and says the trace was cut; --until-fail keeps the first failing run
# (a --timeout) and deletes passing ones; a timed-out trace replays to its end.
# irqmix as an ELF executable and blk as a headerless binary (--kernel-raw)
# record and replay too.  Issue 20's table of bad trace values, each written
# into a copy of a record by trace_edit, replays with exit 2 and one line.
# VMRR_RR_RUNS sets the records per payload (default 4; the issue's
# acceptance run used 20).
set -u
arch="$1"
runs="${VMRR_RR_RUNS:-4}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT
fail=0
payload_flags() {  # the flags each payload is recorded with
  case "$1" in
    blk) echo "--kernel /guest/payloads/blk --disk /guest/rootfs.img,ro" ;;
    *) echo "--kernel /guest/payloads/$1" ;;
  esac
}

# Boot 1: record.
script="set -u"
for p in irqmix devread blk; do
  script="$script
for i in \$(seq 1 $runs); do
  vmrr record -o /share/$p.\$i.vmrr $(payload_flags "$p") --timeout 300 > /share/$p.\$i.rec.out 2> /share/$p.\$i.rec.err
  echo \"record $p \$i \$?\"
done"
done
script="$script
vmrr record -o /share/elf.vmrr --kernel /guest/payloads/irqmix.elf > /share/elf.rec.out 2> /share/elf.rec.err; echo \"record-elf \$?\"
vmrr record -o /share/raw.vmrr --kernel-raw --kernel /guest/payloads/blk.raw --disk /guest/rootfs.img,ro > /share/raw.rec.out 2> /share/raw.rec.err; echo \"record-raw \$?\"
vmrr run --kernel /guest/payloads/blk.raw --disk /guest/rootfs.img,ro > /dev/null 2> /share/raw-no-flag.err; echo \"run-raw-no-flag \$?\"
vmrr record -o /share/killed.vmrr $(payload_flags irqmix) > /share/killed.out 2>&1 &
pid=\$!
sleep 2.5
kill -9 \$pid; wait \$pid; echo \"killed \$?\"
vmrr record -o /share/timeout.vmrr --until-fail 3 --timeout 1 --kernel /guest/payloads/irqmix > /share/timeout.rec.out 2> /share/timeout.rec.err; echo \"until-fail-timeout \$?\"
vmrr record -o /share/pass.vmrr --until-fail 2 --kernel /guest/payloads/devread > /dev/null 2> /share/pass.rec.err; echo \"until-fail-pass \$? \$(ls /share/pass.vmrr* 2>/dev/null | wc -l)\"
vmrr record --seed 42 -o /share/seed.vmrr --kernel /guest/payloads/devread > /dev/null 2>&1; echo \"seeded \$(vmrr inspect /share/seed.vmrr | grep -o \"seed [0-9]*\")\"
vmrr record -o /share/bad.vmrr --kernel /guest/payloads/nonexistent > /dev/null 2> /share/bad.err; echo \"record-missing-kernel \$? \$(cat /share/bad.err)\""
out="$("$VMRR_REPO/tools/rig" "$arch" --share "$share" --timeout 2400 -- "$script")"
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: record rig exited $rc"; exit 1; }

# Host side: a trace with one interrupt moved by one instruction.
in_chroot bazel build --noshow_progress --ui_event_filters=-info //replay:trace_edit >/dev/null 2>&1 ||
  { echo "FAIL: cannot build trace_edit"; exit 1; }
edit="$(in_chroot bazel info bazel-bin 2>/dev/null)/replay/trace_edit"
moved="$(in_chroot_private "$share:/share" "$edit" move-interrupt /share/irqmix.1.vmrr /share/moved.vmrr)" ||
  { echo "FAIL: trace_edit could not move an interrupt"; fail=1; }
echo "moved event: $moved"
# Issue 20's table: one trace per row, a value out of its range.
mkdir -p "$share/rows"
rows="$(in_chroot_private "$share:/share" "$edit" bad-values /share/irqmix.1.vmrr /share/rows | tr "\n" " ")" ||
  { echo "FAIL: trace_edit could not write the bad-value rows"; fail=1; }
printf 'not a trace\n' > "$share/garbage.vmrr"

# Boot 2: replay.
script="set -u"
for p in irqmix devread blk; do
  script="$script
for i in \$(seq 1 $runs); do
  vmrr replay /share/$p.\$i.vmrr > /share/$p.\$i.rep.out 2> /share/$p.\$i.rep.err
  echo \"replay $p \$i \$?\"
done"
done
script="$script
if [ $arch = arm64 ]; then  # a forced margin: overflow 64 early, single-step the rest
  vmrr replay --skid-margin 64 /share/irqmix.1.vmrr > /share/margin.rep.out 2> /share/margin.err; echo \"replay-margin \$?\"
fi
for f in elf raw; do
  vmrr replay /share/\$f.vmrr > /share/\$f.rep.out 2> /share/\$f.rep.err; echo \"replay-\$f \$?\"
done
vmrr replay /share/moved.vmrr > /dev/null 2> /share/moved.err; echo \"replay-moved \$?\"
for row in $rows; do
  vmrr replay /share/rows/\$row.vmrr > /dev/null 2> /share/rows/\$row.err; echo \"replay-row \$row \$?\"
done
vmrr replay /share/timeout.vmrr > /share/timeout.rep.out 2> /share/timeout.err; echo \"replay-timeout \$?\"
vmrr replay /share/killed.vmrr > /share/killed.rep.out 2> /share/killed.err; echo \"replay-killed \$?\"
vmrr replay /share/garbage.vmrr > /dev/null 2> /share/garbage.err; echo \"replay-garbage \$? \$(cat /share/garbage.err)\""
out2="$("$VMRR_REPO/tools/rig" "$arch" --share "$share" --timeout 2400 -- "$script")"
rc=$?
echo "$out2"
[ $rc = 0 ] || { echo "FAIL: replay rig exited $rc"; exit 1; }

for p in irqmix devread blk; do
  distinct="$(for f in "$share"/$p.*.rec.out; do md5sum < "$f"; done | sort -u | wc -l)"
  for i in $(seq 1 "$runs"); do
    echo "$out" | grep -qx "record $p $i 0" || { echo "FAIL: record $p $i: $(tail -2 "$share/$p.$i.rec.err")"; fail=1; }
    echo "$out2" | grep -qx "replay $p $i 0" || { echo "FAIL: replay $p $i: $(tail -5 "$share/$p.$i.rep.err")"; fail=1; }
    grep -q "^$p: " "$share/$p.$i.rec.out" || { echo "FAIL: $p $i printed no result"; fail=1; }
    cmp -s "$share/$p.$i.rec.out" "$share/$p.$i.rep.out" ||
      { echo "FAIL: $p $i: replay output differs from the record's"; fail=1; }
  done
  echo "$p: $distinct distinct outputs in $runs records"
  if [ "$p" != blk ] && [ "$runs" -ge 2 ] && [ "$distinct" -lt 2 ]; then
    echo "FAIL: $p: every record gave the same result (no randomness?)"; fail=1
  fi
done
tail -1 "$share/irqmix.1.rec.out"
if [ "$arch" = arm64 ]; then
  echo "$out2" | grep -qx "replay-margin 0" || { echo "FAIL: margin 64: $(cat "$share/margin.err")"; fail=1; }
  cmp -s "$share/irqmix.1.rec.out" "$share/margin.rep.out" || { echo "FAIL: margin 64 output differs"; fail=1; }
  grep -q "at most 64 per stop" "$share/margin.err" || { echo "FAIL: margin 64 did not step"; fail=1; }
fi
echo "$out2" | grep -qx "replay-moved 3" || { echo "FAIL: moved interrupt: $(cat "$share/moved.err")"; fail=1; }
grep -q "replay diverged at event $moved (interrupt line" "$share/moved.err" ||
  { echo "FAIL: divergence report does not name event $moved: $(cat "$share/moved.err")"; fail=1; }
grep -q "last matching point: event" "$share/moved.err" || { echo "FAIL: no last matching point"; fail=1; }
# Other boot protocols (issue 19 item 10): an ELF executable, and a plain
# binary with no Image header under --kernel-raw, recorded and replayed.
for f in elf raw; do
  echo "$out" | grep -qx "record-$f 0" || { echo "FAIL: record $f: $(tail -2 "$share/$f.rec.err")"; fail=1; }
  echo "$out2" | grep -qx "replay-$f 0" || { echo "FAIL: replay $f: $(tail -3 "$share/$f.rep.err")"; fail=1; }
  cmp -s "$share/$f.rec.out" "$share/$f.rep.out" || { echo "FAIL: $f: replay output differs"; fail=1; }
done
grep -qE '^irqmix: interrupts=[1-9][0-9]* checksum=' "$share/elf.rec.out" ||
  { echo "FAIL: the ELF irqmix printed no result: $(tail -2 "$share/elf.rec.out")"; fail=1; }
grep -qE '^blk: sectors=256 checksum=' "$share/raw.rec.out" ||
  { echo "FAIL: the raw blk printed no result: $(tail -2 "$share/raw.rec.out")"; fail=1; }
echo "$out" | grep -qx "run-raw-no-flag 2" && grep -q "kernel-raw" "$share/raw-no-flag.err" ||
  { echo "FAIL: a headerless binary without --kernel-raw: $(cat "$share/raw-no-flag.err")"; fail=1; }
echo "elf: $(tail -1 "$share/elf.rec.out"); raw: $(tail -1 "$share/raw.rec.out")"
for row in $rows; do  # exit 2, one line naming the trace and what is wrong (beside logs)
  said="$(grep -v '^vmrr \[' "$share/rows/$row.err")"
  echo "$out2" | grep -qx "replay-row $row 2" && [ "$(echo "$said" | wc -l)" = 1 ] &&
    echo "$said" | grep -q "^vmrr: /share/rows/$row.vmrr is corrupt" ||
    { echo "FAIL: bad value $row: $(echo "$out2" | grep "^replay-row $row ") $said"; fail=1; }
  echo "row $row: $said"
done
[ "$(echo "$rows" | wc -w)" = 9 ] || { echo "FAIL: not 9 bad-value rows: $rows"; fail=1; }
echo "$out" | grep -qx "killed 137" || { echo "FAIL: the recorder was not killed mid-run"; fail=1; }
echo "$out2" | grep -qx "replay-killed 0" || { echo "FAIL: killed trace: $(cat "$share/killed.err")"; fail=1; }
grep -q "trace was cut" "$share/killed.err" || { echo "FAIL: killed trace not reported cut"; fail=1; }
echo "$out" | grep -qx "until-fail-timeout 5" || { echo "FAIL: --until-fail with --timeout: $(cat "$share/timeout.rec.err")"; fail=1; }
grep -q "run 1 of 3 failed; kept its trace: /share/timeout.vmrr" "$share/timeout.rec.err" || { echo "FAIL: --until-fail did not keep run 1"; fail=1; }
echo "$out2" | grep -qx "replay-timeout 0" || { echo "FAIL: replay of a timed-out record: $(cat "$share/timeout.err")"; fail=1; }
grep -q "where the recording stopped (timeout" "$share/timeout.err" || { echo "FAIL: timed-out replay did not say where it stopped"; fail=1; }
cmp -s "$share/timeout.rec.out" "$share/timeout.rep.out" || { echo "FAIL: timed-out replay output differs"; fail=1; }
echo "$out" | grep -qx "until-fail-pass 0 0" || { echo "FAIL: --until-fail kept a passing run: $(cat "$share/pass.rec.err")"; fail=1; }
echo "$out" | grep -qx "seeded seed 42" || { echo "FAIL: --seed not in the trace"; fail=1; }
echo "$out" | grep -q "^record-missing-kernel 2 vmrr: " || { echo "FAIL: missing kernel"; fail=1; }
echo "$out2" | grep -q "^replay-garbage 2 vmrr: .*not a vmrr trace" || { echo "FAIL: garbage trace"; fail=1; }
cat "$share/moved.err" "$share/killed.err" "$share/timeout.err" "$share"/margin.err 2>/dev/null
exit $fail
