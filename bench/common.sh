# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2154,SC2034
# Shared by bench/run.sh, scale.sh and memory.sh (sourced, not run). The
# caller defines die() and sets root, build_dir and build first.

# Builds hepprobe with -Dnative=true in $build_dir unless build=0, and sets
# hepprobe to the binary.
bench_build() {
	if [ "$build" = 1 ]; then
		if [ -f "$build_dir/build.ninja" ]; then
			meson configure "$build_dir" -Dnative=true >/dev/null
		else
			meson setup "$build_dir" "$root" -Dnative=true -Dtests=false >/dev/null
		fi
		meson compile -C "$build_dir" hepprobe >/dev/null || die "build failed: run 'meson compile -C $build_dir' to see why"
	fi
	hepprobe=$build_dir/hepprobe
	[ -x "$hepprobe" ] || die "$hepprobe not built (drop --no-build)"
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# Sets wtid to the worker thread of $1 (EAL names it rte-worker-1 or
# lcore-worker-1), or leaves it empty while the thread does not exist yet.
find_worker() {
	local t comm
	wtid=
	for t in /proc/"$1"/task/*; do
		read -r comm 2>/dev/null <"$t/comm" || continue
		case $comm in rte-worker-1|lcore-worker-1) wtid=${t##*/}; return ;; esac
	done
}

# Sets wtids to the worker threads of $1 that exist so far (rte-worker-N or
# lcore-worker-N, one per worker lcore).
find_workers() {
	local t comm
	wtids=()
	for t in /proc/"$1"/task/*; do
		read -r comm 2>/dev/null <"$t/comm" || continue
		case $comm in rte-worker-* | lcore-worker-*) wtids+=("${t##*/}") ;; esac
	done
}

# Shell words as a person would type them: plain when safe, else in '...'.
quote() {
	local a s=
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then s+="$a "; else s+="'${a//\'/\'\\\'\'}' "; fi
	done
	echo "${s% }"
}
