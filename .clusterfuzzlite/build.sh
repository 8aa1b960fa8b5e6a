#!/usr/bin/env bash
# ClusterFuzzLite entry point; the real build is the project's own script.
exec bash "$SRC/mynacard/scripts/oss-fuzz-build.sh"
