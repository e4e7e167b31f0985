#!/usr/bin/env bash
# vmrr doctor in the emulated host finds an exact guest instruction counter
# (20/20 passes equal to the loop's known length), stops exactly at chosen
# counts with run-to-point, and exits 0 or 1.  The JSON
# comes back through --share, which this also tests.
set -u
arch="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tools/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }
share="$(mktemp -d)"
trap 'rm -rf "$share"' EXIT

"$VMRR_REPO/tools/rig" "$arch" --share "$share" -- \
  'vmrr doctor --json > /share/doctor.json'
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "vmrr doctor exited $rc"
json="$share/doctor.json"
[ -s "$json" ] || fail "no doctor.json came back through --share"
jq() { in_chroot jq "$@" <"$json"; }
[ "$(jq -r .exit_code)" = "$rc" ] || fail "exit_code in JSON differs from the exit status $rc"
[ "$(jq -r .arch)" = "$arch" ] || fail "arch is $(jq -r .arch)"
[ "$(jq -r .kvm_present)" = true ] || fail "no KVM: $(jq -r .kvm_error)"
chosen="$(jq -r .chosen_event)"
[ -n "$chosen" ] || fail "no counter event chosen: $(jq -c .reasons)"
# The chosen counter: exact, 20 passes, each exactly 2N+2.
sel=".counters[] | select(.event == \"$chosen\")"
[ "$(jq -r "$sel | .exact")" = true ] || fail "$chosen is not exact"
[ "$(jq -r "$sel | .counts | length")" = 20 ] || fail "not 20 passes"
expected="$(jq -r "$sel | .expected_count")"
[ "$expected" = 2002 ] || fail "expected count $expected, want 2002 (N=1000)"
[ "$(jq -r "$sel | [.counts[] | select(. != \"$expected\")] | length")" = 0 ] ||
  fail "a pass differs from $expected: $(jq -c "$sel | .counts")"
[ "$(jq -r "$sel | .counter_matches_registers")" = true ] || fail "count disagrees with registers"
# replay's run-to-point stops exactly at every target, with a forced margin.
stops="$(jq -r .run_to_point.stops)"
[ "$stops" -ge 3 ] && [ "$(jq -r .run_to_point.exact)" = "$stops" ] ||
  fail "run-to-point: $(jq -c .run_to_point)"
[ "$(jq -r .run_to_point.margin)" -ge 100 ] || fail "run-to-point margin too small to test skid"
echo "ok: run-to-point $stops/$stops exact by $(jq -r .run_to_point.method), margin $(jq -r .run_to_point.margin)"
echo "ok: $arch chose $chosen, 20/20 = $expected, max skid $(jq -r "$sel | .max_skid"), verdict $(jq -r .verdict)"
