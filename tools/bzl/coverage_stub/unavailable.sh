#!/bin/sh
echo "bazel coverage is unavailable: remote_coverage_tools is stubbed out for offline builds" >&2
exit 1
