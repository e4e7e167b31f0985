#!/usr/bin/env bash
# tools/rig's own failures have their own exit codes and one-line messages.
set -u
arch="$1"
rig="$(dirname "$0")/../../tools/rig"
fail() { echo "FAIL: $*"; exit 1; }

msg="$("$rig" "$arch" --host-kvm bogus -- true 2>&1)"
rc=$?
[ $rc = 120 ] || fail "--host-kvm bogus exited $rc, expected 120"
case "$msg" in *"must be stock or patched"*) ;; *) fail "unclear message: $msg" ;; esac

msg="$("$rig" "$arch" --share /nonexistent -- true 2>&1)"
[ $? = 120 ] || fail "--share of a missing folder did not fail with 120"

"$rig" "$arch" --no-build --timeout 3 -- 'sleep 1000' 2>/dev/null
rc=$?
[ $rc = 124 ] || fail "--timeout 3 exited $rc, expected 124"
echo "ok: bad --host-kvm=120, bad share=120, timeout=124"
