#!/usr/bin/env bash
# tools/rig passes the command's exit status through, and streams its output.
set -u
arch="$1"
rig="$(dirname "$0")/../../tools/rig"
fail() { echo "FAIL: $*"; exit 1; }

out="$("$rig" "$arch" -- 'echo hello from $(uname -m); true')"
rc=$?
[ $rc = 0 ] || fail "'true' exited $rc"
case "$arch" in arm64) m=aarch64 ;; riscv64) m=riscv64 ;; esac
[ "$out" = "hello from $m" ] || fail "unexpected output: '$out'"

"$rig" "$arch" --no-build -- false
rc=$?
[ $rc = 1 ] || fail "'false' exited $rc, expected 1"

"$rig" "$arch" --no-build -- 'exit 7'
rc=$?
[ $rc = 7 ] || fail "'exit 7' exited $rc"
echo "ok: true=0 false=1 exit 7=7, output streamed"
