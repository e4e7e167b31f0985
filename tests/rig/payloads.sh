#!/usr/bin/env bash
# The bare-metal payloads (guest-images/payloads/) under `vmrr run`: each
# prints its final line and powers off (exit 0).  devread's 64 RANDOM values
# and irqmix's test-device interrupts (at random host times) make two runs
# differ; illegal's all-zero word must reach its own trap vector as an
# illegal instruction (arm64; riscv64: see below); blk reads the first 256
# sectors of its --disk through virtio-blk and prints their SHA-256, which
# must equal the rig host's sha256sum of them; and without a disk it says so.
set -u
arch="$1"
rig="$(dirname "$0")/../../tools/rig"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

out="$("$rig" "$arch" --timeout 1200 -- '
  up() { cut -d" " -f1 /proc/uptime; }
  run() {  # run NAME [vmrr run flags]: "exit NAME STATUS SECONDS" and its lines
    name=$1; shift
    t0=$(up)
    vmrr run --kernel /guest/payloads/$name --timeout 120 "$@" > /tmp/$name.log 2>&1
    rc=$?
    echo "exit $name $rc $(echo "$(up) $t0" | awk "{ printf \"%.2f\", \$1 - \$2 }")"
    grep "^$name: " /tmp/$name.log
  }
  run devread; run devread
  run irqmix; run irqmix
  run blk --disk /guest/rootfs.img,ro; run blk --disk /guest/rootfs.img,ro
  echo "host sha256 $(head -c 131072 /guest/rootfs.img | sha256sum | cut -d" " -f1)"
  vmrr run --kernel /guest/payloads/illegal --timeout 60 > /tmp/illegal.log 2>&1
  echo "exit illegal $?"; grep "illegal\|crashed" /tmp/illegal.log
  echo "no disk:"; run blk
')"
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: rig exited $rc"; exit 1; }

# Only the no-disk run may fail.
with_disk="$(echo "$out" | sed '/^no disk:/,$d')"
echo "$with_disk" | grep -q ': FAIL' && bad "a payload reported a failure"
for p in devread irqmix blk; do
  [ "$(echo "$with_disk" | grep -c "^exit $p 0 ")" = 2 ] || bad "$p: not 2 runs with exit 0"
done
# Without a disk blk fails, but still by powering off.
[ "$(echo "$out" | grep -c '^exit blk 0 ')" = 3 ] || bad "blk without --disk did not exit 0"

devread="$(echo "$out" | grep -E '^devread: paths=[0-9]+,[0-9]+,[0-9]+,[0-9]+ checksum=0x[0-9a-f]{16}$')"
[ "$(echo "$devread" | grep -c .)" = 2 ] || bad "devread: not 2 final lines"
[ "$(echo "$devread" | sed 's/.*checksum=//' | sort -u | wc -l)" = 2 ] ||
  bad "devread: two runs printed the same checksum (RANDOM not random?)"

irqmix="$(echo "$out" | grep -E '^irqmix: interrupts=[0-9]+ checksum=0x[0-9a-f]{16}$')"
[ "$(echo "$irqmix" | grep -c .)" = 2 ] || bad "irqmix: not 2 final lines"
echo "$irqmix" | grep -q 'interrupts=0 ' && bad "irqmix: a run took no interrupts"
[ "$(echo "$irqmix" | sed 's/.*checksum=//' | sort -u | wc -l)" = 2 ] ||
  bad "irqmix: two runs printed the same checksum (interrupts not at random times?)"

want="$(echo "$out" | sed -n 's/^host sha256 \([0-9a-f]\{64\}\)$/\1/p')"
[ -n "$want" ] || bad "no host sha256 of the disk's first 256 sectors"
[ "$(echo "$with_disk" | grep -cx "blk: sectors=256 checksum=0x$want")" = 2 ] ||
  bad "blk: not 2 runs printing sectors=256 and the host's sha256 $want"
echo "$out" | sed -n '/^no disk:/,$p' | grep -q '^blk: FAIL no virtio-mmio device' ||
  bad "blk without --disk: no failure line"
# The all-zero instruction word.  arm64: the payload's vector gets EC 0.
# riscv64 under KVM in the rig: the illegal-instruction trap goes to M-mode
# (OpenSBI 1.6 does not delegate it), and its redirect to the host's KVM
# resumes the vCPU at the host kernel's trap vector, still in VS-mode: KVM
# then refuses to run it (plain QEMU without KVM delivers cause 2).  vmrr
# must say where the vCPU went; a fixed host gives the payload's own line.
illegal="$(echo "$with_disk" | sed -n '/^exit illegal /,/^no disk:/p')"
case "$arch:$(echo "$illegal" | head -1)" in
  *":exit illegal 0")
    echo "$illegal" | grep -qE '^illegal: exception cause=0x[0-9a-f]{16} pc=0x[0-9a-f]{16} addr=0x[0-9a-f]{16}: illegal instruction$' ||
      bad "illegal: no illegal-instruction line: $illegal" ;;
  "riscv64:exit illegal 4")
    echo "$illegal" | grep -qE "the guest crashed: KVM_RUN: .*\(the vCPU's PC is 0x[0-9a-f]+, outside guest RAM" ||
      bad "illegal: the crash does not say where the vCPU went: $illegal" ;;
  *) bad "illegal: $illegal" ;;
esac
echo "illegal: $(echo "$illegal" | tail -1)"
[ $fail = 0 ] && echo "ok: payloads on $arch"
exit $fail
