#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# CI smoke of the throughput benchmark: bench/run.sh --smoke (1 s each of
# testpmd and hepprobe, then of both on two RX queues with two workers;
# nothing appended to RESULTS.md). Fails when a rate is 0, one of hepprobe's
# workers received nothing, or hepprobe drops frames of the clean generated
# capture for a reason it should not. Speed is never judged here: that is
# RESULTS.md's business.
#
# usage: bench/smoke.sh [BUILD_DIR]
#   BUILD_DIR holding a built hepprobe (default: build, the one CI builds);
#   without one, run.sh builds build-bench-native itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bd=${1:-$here/../build}
if [ -x "$bd/hepprobe" ]; then
	exec "$here/run.sh" --smoke --build-dir "$bd" --no-build
fi
exec "$here/run.sh" --smoke
