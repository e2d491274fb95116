#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Memory per RTP stream and per SIP dialog: hepprobe allocates its media
# tables at start-up from --max-streams and --max-dialogs and reports their
# size in the gauge hepprobe_media_table_bytes. This script starts hepprobe
# with several capacity pairs, reads the gauge (and VmRSS/VmHWM from
# /proc/PID/status for context) and derives the bytes one unit of capacity
# costs by difference from a small baseline:
#
#   per stream at S  = (bytes(S, d0) - bytes(s0, d0)) / (S - s0)
#   per dialog at D  = (bytes(s0, D) - bytes(s0, d0)) / (D - d0)
#
# so fixed parts (the call log, table headers) cancel. The stream figure
# includes the candidate table (--max-streams / 4 flows on probation); the
# dialog figure includes the 4 SDP endpoints and the end queue per dialog.
# Targets: <= 1024 bytes per stream, <= 4096 bytes per dialog.
#
# usage: bench/memory.sh [--sizes 10000,100000,1000000] [--build-dir DIR]
#                        [--no-build] [--results FILE] [--no-append]
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=10000,100000,1000000
base=1024
build_dir=$root/build-bench-native
build=1
results=$here/RESULTS.md
append=1
target_stream=1024
target_dialog=4096

usage() {
	sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	cat <<'EOF'

  --sizes LIST      capacities to measure (default 10000,100000,1000000)
  --base N          baseline capacity s0 = d0 (default 1024)
  --build-dir DIR   meson build directory (default build-bench-native)
  --no-build        use DIR/hepprobe as it is
  --results FILE    where the table is appended (default bench/RESULTS.md)
  --no-append       print the table only
EOF
	exit "${1:-0}"
}
die() { echo "bench/memory.sh: $*" >&2; exit 2; }
# shellcheck source=bench/common.sh
. "$here/common.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--sizes) sizes=${2:?}; shift 2 ;;
	--base) base=${2:?}; shift 2 ;;
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--no-build) build=0; shift ;;
	--results) results=${2:?}; shift 2 ;;
	--no-append) append=0; shift ;;
	-h|--help) usage 0 ;;
	*) echo "bench/memory.sh: unknown option '$1'" >&2; usage 2 ;;
	esac
done
[[ $sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sizes wants a comma-separated list of counts, not '$sizes'"
[[ $base =~ ^[1-9][0-9]*$ ]] || die "--base wants a count > 0, not '$base'"
case $build_dir in /*) ;; *) build_dir=$PWD/$build_dir ;; esac

bench_build

work=$build_dir/bench-memory
rm -rf "$work"
mkdir -p "$work" "$build_dir/bench-data"
# A 10-call capture: the tables are sized at start-up, the input only has
# to get the worker running while the process is looked at.
input=$build_dir/bench-data/scale-10c-3r.pcap
[ -s "$input" ] || python3 "$here/sender/scalecap.py" --calls 10 --rtp 3 --out "$input" >/dev/null ||
	die "bench/sender/scalecap.py failed"

eal=(-l 0-1 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --log-level='*:warning')

# One run: sets m_bytes (gauge), m_rss (kB, the largest VmRSS seen while
# the worker ran) and m_hwm (kB, VmHWM at the last reading: the peak).
measure() {
	local s=$1 d=$2 pid key val
	local prom=$work/s$s-d$d.prom
	"$hepprobe" "${eal[@]}" -- --pcap "$input" --loop --duration 2 --quiet \
		--max-streams "$s" --max-dialogs "$d" --metrics-file "$prom" \
		>"$work/s$s-d$d.log" 2>&1 &
	pid=$!
	m_rss='' m_hwm=''
	while kill -0 "$pid" 2>/dev/null; do
		while read -r key val _; do
			case $key in
			VmRSS:) [ "$val" -gt "${m_rss:-0}" ] && m_rss=$val ;;
			VmHWM:) m_hwm=$val ;;
			esac
		done <"/proc/$pid/status" 2>/dev/null || true
		sleep 0.2
	done
	wait "$pid" || die "hepprobe --max-streams $s --max-dialogs $d failed: $work/s$s-d$d.log"
	m_bytes=$(awk '$1 == "hepprobe_media_table_bytes" { print $2 }' "$prom")
	[ -n "$m_bytes" ] || die "no hepprobe_media_table_bytes in $prom"
}

IFS=, read -r -a caps <<<"$sizes"
declare -A bytes rss hwm
runs=("$base $base")
for c in "${caps[@]}"; do runs+=("$c $base" "$base $c"); done
for r in "${runs[@]}"; do
	read -r s d <<<"$r"
	measure "$s" "$d"
	bytes[$s,$d]=$m_bytes rss[$s,$d]=$m_rss hwm[$s,$d]=$m_hwm
	echo "max-streams $s max-dialogs $d: media tables $m_bytes bytes, VmRSS ${m_rss:-?} kB, VmHWM ${m_hwm:-?} kB" >&2
done

b0=${bytes[$base,$base]}
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (a - b) / n }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "yes" : "no" }'; }
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" --no-optional-locks status --porcelain 2>/dev/null)" ] && commit+=-dirty
table=$(
	echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — memory per stream and per dialog, commit $commit"
	echo
	echo "- machine: $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo); $(uname -sr); load average (1 min) $(cut -d' ' -f1 /proc/loadavg)"
	echo "- \`hepprobe_media_table_bytes\` with each capacity pair; baseline s0 = d0 = $base; 1 worker"
	echo "- binary: \`${hepprobe#"$root"/}\`, built $(date -u -r "$hepprobe" '+%Y-%m-%d %H:%M UTC') (the commit above is HEAD at run time)"
	echo
	echo "| --max-streams | --max-dialogs | media table bytes | VmRSS kB | VmHWM kB |"
	echo "|---|---|---|---|---|"
	for r in "${runs[@]}"; do
		read -r s d <<<"$r"
		echo "| $s | $d | ${bytes[$s,$d]} | ${rss[$s,$d]:-?} | ${hwm[$s,$d]:-?} |"
	done
	echo
	echo "| capacity | bytes per stream | ≤ $target_stream | bytes per dialog | ≤ $target_dialog |"
	echo "|---|---|---|---|---|"
	for c in "${caps[@]}"; do
		if [ "$c" -le "$base" ]; then continue; fi
		ps=$(per "${bytes[$c,$base]}" "$b0" $((c - base)))
		pd=$(per "${bytes[$base,$c]}" "$b0" $((c - base)))
		echo "| $c | $ps | $(verdict "$ps" $target_stream) | $pd | $(verdict "$pd" $target_dialog) |"
	done
	echo
	echo "VmRSS (largest seen while running) and VmHWM include the process"
	echo "without tables (EAL with --no-huge -m 1024, the preloaded capture,"
	echo "Hyperscan): compare them between rows, not with the table bytes."
	echo
	echo "Command (S, D from the table):"
	echo
	echo '```'
	echo "${hepprobe#"$root"/} ${eal[*]} -- --pcap ${input#"$root"/} --loop --duration 2 --quiet --max-streams S --max-dialogs D --metrics-file F"
	echo '```'
)
echo "$table"
if [ "$append" = 1 ]; then
	{ echo; echo "$table"; } >>"$results"
	echo "appended to $results" >&2
fi
