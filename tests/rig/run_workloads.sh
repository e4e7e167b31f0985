#!/usr/bin/env bash
# `vmrr run` boots the Debian kernel with the guest rootfs (through its
# initrd: Debian builds virtio-blk and ext4 as modules) and every workload
# prints its PASS line and powers off (exit 0); --dump-dtb writes a device
# tree dtc decompiles; bad input exits 2 at once with a one-line error.
# Nothing the guest printed before powering off is lost: a ^S typed with the
# console workload's last line holds the tty's output, and the verdict must
# still come out once ^Q follows (init waits for the tty to drain before
# `poweroff -f`; issue 19 item 12, where Linux 7.2 lost it 7 times in 11).
set -u
arch="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT
printf "@wait type lines, 'end' to finish\n\023end\n\021\n" > "$share/xoff.txt"
out="$("$VMRR_REPO/tools/rig" "$arch" --share "$share" --timeout 1500 -- '
  boot="vmrr run --kernel /guest/Image --initrd /guest/initrd.img --disk /guest/rootfs.img"
  vmrr record -o /tmp/xoff.vmrr --kernel /guest/Image --initrd /guest/initrd.img \
    --disk /guest/rootfs.img --input /share/xoff.txt --timeout 600 \
    --append "quiet vmrr.workload=console" > /tmp/xoff.log 2>/dev/null
  echo "exit xoff $?"; grep "^console: \|^vmrr-workload" /tmp/xoff.log | sed "s/^/xoff: /"
  for w in boot io timers entropy mixed; do
    dump=""; [ $w = boot ] && dump="--dump-dtb /share/guest.dtb"
    $boot $dump --timeout 600 --append "quiet vmrr.workload=$w" > /tmp/$w.log 2>&1
    echo "exit $w $?"
    grep "^vmrr-workload" /tmp/$w.log
  done
  vmrr run --kernel /guest/rootfs.img --timeout 60 > /tmp/bad.log 2>&1; echo "exit bad-kernel $? $(cat /tmp/bad.log)"
  head -c 1000 /dev/zero > /tmp/odd.img
  vmrr run --kernel /guest/Image --disk /tmp/odd.img --timeout 60 > /tmp/bad.log 2>&1
  echo "exit bad-disk $? $(cat /tmp/bad.log)"
  vmrr run --kernel /guest/Image --bogus --timeout 60 > /tmp/bad.log 2>&1; echo "exit bad-flag $? $(cat /tmp/bad.log)"
  vmrr run --kernel /guest/Image --initrd /guest/rootfs.img --mem 64M --timeout 60 > /tmp/bad.log 2>&1
  echo "exit bad-mem $? $(cat /tmp/bad.log)"
')"
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: rig exited $rc"; exit 1; }
fail=0
for w in boot io timers entropy mixed; do
  echo "$out" | grep -qx "exit $w 0" || { echo "FAIL: $w did not exit 0"; fail=1; }
  [ "$(echo "$out" | grep -c "^vmrr-workload $w: ")" = 1 ] || { echo "FAIL: $w: not one verdict line"; fail=1; }
  echo "$out" | grep -qx "vmrr-workload $w: PASS" || { echo "FAIL: $w did not pass"; fail=1; }
done
echo "$out" | grep -qx "exit xoff 0" || { echo "FAIL: the ^S/^Q record did not exit 0"; fail=1; }
echo "$out" | grep -q "^xoff: console: 0 lines" && echo "$out" | grep -qx "xoff: vmrr-workload console: PASS" ||
  { echo "FAIL: output held by ^S was lost at power-off: $(echo "$out" | grep "^xoff: ")"; fail=1; }
echo "$out" | grep -q "^exit bad-kernel 2 vmrr: .*not an* $arch Linux Image" || { echo "FAIL: bad kernel"; fail=1; }
echo "$out" | grep -q "^exit bad-disk 2 vmrr: disk .*not a multiple of 512" || { echo "FAIL: bad disk"; fail=1; }
echo "$out" | grep -q "^exit bad-flag 2 vmrr: unknown flag --bogus" || { echo "FAIL: bad flag"; fail=1; }
echo "$out" | grep -q "^exit bad-mem 2 vmrr: guest memory 64 MiB is too small" || { echo "FAIL: bad mem"; fail=1; }
dts="$(in_chroot_private "$share:/dtb" dtc -q -I dtb -O dts /dtb/guest.dtb 2>&1)"
for want in 'compatible = "virtio,mmio"' 'rng-seed' 'kaslr-seed' 'stdout-path = "/uart@'; do
  echo "$dts" | grep -qF "$want" || { echo "FAIL: dumped device tree lacks $want"; fail=1; }
done
exit $fail
