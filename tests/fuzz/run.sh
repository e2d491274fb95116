#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Coverage-guided fuzzing of every harness in tests/fuzz with libFuzzer, for runs
# longer than CI affords (CI replays the seeds instead: see meson.build).
#   tests/fuzz/run.sh [SECONDS [HARNESS...]]
# SECONDS per harness (default 60; 0 = no time limit); HARNESS is e.g. "sip"
# for fuzz_sip.c (default: every tests/fuzz/fuzz_*.c).
# HP_FUZZ_RUNS=N stops each harness after N executions instead (libFuzzer
# -runs=N), or at SECONDS if that comes first: the long runs recorded in
# README.md are HP_FUZZ_RUNS=10000000 nice -n 10 tests/fuzz/run.sh 0 HARNESS.
# Everything goes to a fresh directory
# under /tmp: objects, binaries, a working corpus per harness (seeded from
# tests/fuzz/seeds/<x>, which is only read), logs and crash inputs.
# HP_FUZZ_CFLAGS adds compiler flags, e.g. -fno-sanitize=nonnull-attribute to
# fuzz on past a known finding until it is fixed.
# Exit status: 0 no crash, 1 a harness crashed, 2 a harness did not build.
set -u

secs=${1:-60}
shift || true
case $secs in
'' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number, got '$secs'" >&2; exit 2 ;;
esac
runs=${HP_FUZZ_RUNS:-}
case $runs in
*[!0-9]*) echo "run.sh: HP_FUZZ_RUNS must be a whole number, got '$runs'" >&2; exit 2 ;;
esac
limit=(-max_total_time="$secs")
[ -n "$runs" ] && limit+=(-runs="$runs")

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang)" >&2; exit 2; }

if [ $# -gt 0 ]; then
	harnesses=("$@")
else
	harnesses=()
	for f in tests/fuzz/fuzz_*.c; do
		h=${f#tests/fuzz/fuzz_}
		harnesses+=("${h%.c}")
	done
fi

work=$(mktemp -d /tmp/hepprobe-fuzz.XXXXXX)
read -r -a pkgcflags <<<"$(pkg-config --cflags libhs zlib)"
read -r -a pkglibs <<<"$(pkg-config --libs libhs zlib)"
read -r -a extra <<<"${HP_FUZZ_CFLAGS:-}"
cflags=(-g -O1 -fno-omit-frame-pointer "-fsanitize=address,undefined" -fno-sanitize-recover=all
	-Ilib "${pkgcflags[@]}" "${extra[@]}")
libs=("${pkglibs[@]}" -lm -lstdc++)
echo "run.sh: ${secs}s${runs:+ or $runs executions} per harness (0 s: no time limit), work dir $work"

# All of lib/ goes into one archive: the linker then pulls in exactly the
# objects a harness needs. A file that does not compile (work in progress
# elsewhere) is skipped; a harness that needs it fails to link and says so.
mkdir -p "$work/obj"
for c in lib/*/*.c; do
	o="$work/obj/$(echo "${c#lib/}" | tr / _).o"
	if ! clang "${cflags[@]}" -fsanitize=fuzzer-no-link -std=c11 -D_POSIX_C_SOURCE=200809L \
		-c "$c" -o "$o" 2>"$o.log"; then
		echo "run.sh: warning: $c does not compile, left out (see $o.log)" >&2
		rm -f "$o"
	fi
done
ar rcs "$work/libhpfuzz.a" "$work"/obj/*.o

crashed=0
broken=0
for h in "${harnesses[@]}"; do
	src=tests/fuzz/fuzz_$h.c
	bin=$work/fuzz_$h
	log=$work/fuzz_$h.log
	if [ ! -f "$src" ]; then
		echo "run.sh: no harness $src" >&2
		broken=1
		continue
	fi
	if ! clang "${cflags[@]}" -fsanitize=fuzzer -std=gnu11 "$src" "$work/libhpfuzz.a" "${libs[@]}" \
		-o "$bin" 2>"$bin.build.log"; then
		echo "== $h: BUILD FAILED"
		sed 's/^/   /' "$bin.build.log" | head -20
		broken=1
		continue
	fi
	corpus=$work/corpus/$h
	mkdir -p "$corpus" "$work/crash"
	seeds=()
	[ -d "tests/fuzz/seeds/$h" ] && seeds=("tests/fuzz/seeds/$h")
	start=$(date +%s)
	UBSAN_OPTIONS=print_stacktrace=1 "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crash/$h-" "$corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	wall=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	stats=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1 | tr -s ' \t' ' ')
	echo "== $h: exit $rc; $(find "$corpus" -type f | wc -l) corpus inputs; ${execs:-?} executions in ${wall}s; last status: ${stats:-none}"
	if [ $rc -ne 0 ]; then
		crashed=1
		for a in "$work/crash/$h-"*; do
			[ -f "$a" ] || continue
			echo "   input $a ($(stat -c %s "$a") bytes)"
			echo "   hex $(od -An -v -tx1 "$a" | tr -d ' \n' | head -c 4096)"
		done
		echo "   report (full log $log):"
		grep -E 'ERROR:|runtime error:|SUMMARY:|deadly signal|^ +#[0-9]+ ' "$log" |
			grep -v -E 'libFuzzer|fuzzer::' | head -30 | sed 's/^/     /'
	fi
done

if [ $broken -ne 0 ] || [ $crashed -ne 0 ]; then
	echo "run.sh: FAILED (crash: $crashed, build: $broken); inputs and logs in $work"
	[ $crashed -ne 0 ] && exit 1
	exit 2
fi
echo "run.sh: no crash in ${#harnesses[@]} harnesses; corpora and logs in $work"
