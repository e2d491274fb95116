#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Throughput of hepprobe's worker against the ceiling of the same input path:
# dpdk-testpmd in rxonly mode reading the same capture through the same
# net_pcap vdev (infinite_rx, mbufs preloaded) on the same worker core.
# Runs alternate (testpmd, hepprobe, testpmd, ...) so that drift in machine
# load hits both alike; the table goes to stdout and is appended to
# bench/RESULTS.md with the commit, the machine and the exact command lines.
#
# Two figures per run, because on a shared machine they disagree:
#   wall   packets / wall seconds of the measured window: what the tool
#          delivers on this machine as it is;
#   CPU    nanoseconds the worker thread spent on a CPU per packet (from
#          /proc/PID/task/TID/schedstat): what a packet costs, nearly
#          independent of how often other processes took the core away.
#
# usage: bench/run.sh [--duration S] [--rounds N] [--input FILE] [--smoke]
#                     [--preset tiny] [--build-dir DIR] [--no-build]
#                     [--hep udp:HOST:PORT] [--allow-drops R1,R2]
#                     [--results FILE] [--no-append]
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

duration=10
rounds=3
input=
smoke=0
preset=tiny
build_dir=$root/build-bench-native
build=1
hep=
# Drop reasons that are not a fault; chosen after the input is known.
allow_drops=-
results=$here/RESULTS.md
append=1

usage() {
	sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	cat <<'EOF'

  --duration S      measured seconds per run (default 10)
  --rounds N        testpmd/hepprobe pairs, alternating (default 3)
  --input FILE      capture to replay (default: bench/gen PRESET, else
                    tests/data/sip_call_rtp_g711a.pcap); at most ~15000 frames,
                    because net_pcap preloads it into the 16383-mbuf pool
  --preset NAME     bench/gen preset when no --input (default tiny)
  --smoke           1 s, 1 round, no RESULTS.md; exit 1 when a rate is 0 or
                    hepprobe drops for a reason not in --allow-drops
  --build-dir DIR   meson build directory (default build-bench-native,
                    configured with -Dnative=true)
  --no-build        use DIR/hepprobe as it is
  --hep DEST        also send HEP to DEST (default: none, the sender discards)
  --allow-drops L   comma-separated drop reasons that are not a fault
                    (default: udp_not_voip on the generated capture; with
                    any other input also not_ip, l4_unsupported,
                    tcp_not_sip, sip_keepalive, sip_empty)
  --results FILE    where the table is appended (default bench/RESULTS.md)
  --no-append       print the table only
EOF
	exit "${1:-0}"
}

die() { echo "bench/run.sh: $*" >&2; exit 2; }
# shellcheck source=bench/common.sh
. "$here/common.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=${2:?}; shift 2 ;;
	--rounds) rounds=${2:?}; shift 2 ;;
	--input) input=${2:?}; shift 2 ;;
	--preset) preset=${2:?}; shift 2 ;;
	--smoke) smoke=1; shift ;;
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--no-build) build=0; shift ;;
	--hep) hep=${2:?}; shift 2 ;;
	--allow-drops) allow_drops=${2?}; shift 2 ;;
	--results) results=${2:?}; shift 2 ;;
	--no-append) append=0; shift ;;
	-h|--help) usage 0 ;;
	*) echo "bench/run.sh: unknown option '$1'" >&2; usage 2 ;;
	esac
done
if [ "$smoke" = 1 ]; then
	duration=1
	rounds=1
	append=0
fi
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration wants whole seconds > 0, not '$duration'"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a count > 0, not '$rounds'"
case $build_dir in /*) ;; *) build_dir=$PWD/$build_dir ;; esac
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found: install Debian's dpdk-dev (deploy/install-deps.sh)"
command -v stdbuf >/dev/null || die "stdbuf not found (coreutils)"

# ---- build ---------------------------------------------------------------
bench_build

# ---- input ---------------------------------------------------------------
if [ -z "$input" ]; then
	if [ -x "$here/gen" ] && command -v python3 >/dev/null; then
		input=$build_dir/bench-data/bench-$preset.pcap
		# Same preset and seed give the same bytes: generate once per build dir.
		[ -s "$input" ] || "$here/gen" "$preset" "$build_dir/bench-data" --quiet >/dev/null ||
			die "bench/gen $preset failed"
	else
		input=$root/tests/data/sip_call_rtp_g711a.pcap
	fi
fi
[ -r "$input" ] || die "cannot read input '$input'"
input=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
# The generated capture is clean SIP/RTP/RTCP: the one legitimate drop is
# a frame the build does not (yet) deliver as VoIP. Any other capture may
# also carry traffic that is simply not VoIP.
if [ "$allow_drops" = - ]; then
	if [ "$input" = "$build_dir/bench-data/bench-$preset.pcap" ]; then
		allow_drops=udp_not_voip
	else
		allow_drops=not_ip,l4_unsupported,tcp_not_sip,udp_not_voip,sip_keepalive,sip_empty
	fi
fi
case $input in *,*|*=*) die "input path '$input' contains ',' or '=', which net_pcap devargs cannot carry" ;; esac

# Each run's output and hepprobe's counters, kept for a look afterwards.
work=$build_dir/bench-logs
rm -rf "$work"
mkdir -p "$work"

# Both tools: lcore 0 main, lcore 1 the one worker; no hugepages, no PCI.
eal=(-l 0-1 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --log-level='*:warning')
# testpmd set up like hepprobe's port: 1 RX queue of 1024 descriptors, a
# 16383-mbuf pool with a 256 cache, bursts of 32. --no-flush-rx: flushing an
# infinite_rx queue would spin for a second before the start.
testpmd_cmd=(dpdk-testpmd "${eal[@]}" --vdev "net_pcap0,rx_pcap=$input,infinite_rx=1" --
	--forward-mode=rxonly --auto-start --nb-cores=1 --rxq=1 --txq=1 --rxd=1024 --txd=256
	--total-num-mbufs=16383 --mbcache=256 --burst=32 --no-flush-rx --port-topology=loop
	--no-lsc-interrupt)
hepprobe_cmd=("$hepprobe" "${eal[@]}" -- --pcap "$input" --loop --duration "$duration" --quiet
	--metrics-file "$work/metrics.prom")
[ -n "$hep" ] && hepprobe_cmd+=(--hep "$hep")

# Sets wcpu to the worker thread's on-CPU nanoseconds so far (kept when the
# thread is gone, so the last reading survives the process exit).
sample_cpu() {
	local ns rest
	[ -n "$wtid" ] || find_worker "$1"
	[ -n "$wtid" ] || return 0
	read -r ns rest 2>/dev/null <"/proc/$1/task/$wtid/schedstat" && wcpu=$ns
	return 0
}

# One testpmd run: start, wait for forwarding to begin, measure for
# $duration seconds, stop it through its stdin ("Press enter to exit").
# Sets r_pkts, r_us (window), r_cpu (worker ns in the window).
run_testpmd() {
	local log=$1 line buf='' t0='' t1='' c0='' c1='' stop_at=0 give_up pkts='' pid tout tin
	wtid='' wcpu=''
	coproc TP { exec stdbuf -oL "${testpmd_cmd[@]}" 2>&1; }
	# Own copies of the pipe ends: bash closes the coproc's when it reaps it,
	# which would lose the statistics testpmd prints as it exits.
	pid=$TP_PID
	exec {tout}<&"${TP[0]}" {tin}>&"${TP[1]}"
	give_up=$(($(now_us) + 120000000))
	: >"$log"
	while :; do
		if IFS= read -r -t 0.05 line <&"$tout"; then
			line=$buf$line
			buf=
			printf '%s\n' "$line" >>"$log"
			case $line in
			*"Press enter to exit"*)
				sample_cpu "$pid"
				t0=$(now_us) c0=$wcpu stop_at=$((t0 + duration * 1000000)) ;;
			*"Accumulated forward statistics"*) pkts=next ;;
			*RX-packets:*) [ "$pkts" = next ] && { pkts=${line#*RX-packets:}; pkts=${pkts%%RX-dropped*}; pkts=${pkts// /}; } ;;
			esac
		else
			[ $? -gt 128 ] || break # EOF: testpmd has exited
			buf+=$line
		fi
		sample_cpu "$pid"
		if [ -z "$t1" ] && [ "$stop_at" -gt 0 ] && [ "$(now_us)" -ge "$stop_at" ]; then
			c1=$wcpu t1=$(now_us)
			# In a subshell: should testpmd be gone, SIGPIPE ends only that.
			(echo >&"$tin") 2>/dev/null || true
		fi
		if [ -z "$t0" ] && [ "$(now_us)" -gt "$give_up" ]; then
			kill "$pid" 2>/dev/null
			echo "bench/run.sh: testpmd did not start forwarding in 120 s; its output: $log" >&2
			break
		fi
	done
	wait "$pid" || true
	exec {tout}<&- {tin}>&-
	if [ -z "$t1" ] || ! [[ $pkts =~ ^[0-9]+$ ]]; then
		r_pkts=0 r_us=1 r_cpu=''
		return
	fi
	r_pkts=$pkts r_us=$((t1 - t0))
	if [ -n "$c0" ] && [ -n "$c1" ]; then r_cpu=$((c1 - c0)); else r_cpu=''; fi
}

# One hepprobe run: it stops itself after $duration s and prints its rate.
# Sets r_pkts, r_us, r_cpu (worker ns over its whole run).
run_hepprobe() {
	local log=$1 line buf='' rate='' rc pid hout
	wtid='' wcpu=''
	rm -f "$work/metrics.prom"
	coproc HP { exec stdbuf -oL "${hepprobe_cmd[@]}" 2>&1 </dev/null; }
	pid=$HP_PID
	exec {hout}<&"${HP[0]}"
	: >"$log"
	while :; do
		if IFS= read -r -t 0.05 line <&"$hout"; then
			line=$buf$line
			buf=
			printf '%s\n' "$line" >>"$log"
			case $line in rate:*) rate=$line ;; esac
		else
			[ $? -gt 128 ] || break
			buf+=$line
		fi
		sample_cpu "$pid"
	done
	rc=0
	wait "$pid" || rc=$?
	exec {hout}<&-
	[ "$rc" = 0 ] || echo "bench/run.sh: hepprobe exited with $rc; its output: $log" >&2
	# rate: N frames in T s = R frames/s (X ns/frame) with 1 worker(s)
	if [[ $rate =~ ^rate:\ ([0-9]+)\ frames\ in\ ([0-9]+)\.([0-9]{3})\ s ]]; then
		r_pkts=${BASH_REMATCH[1]}
		r_us=$((10#${BASH_REMATCH[2]} * 1000000 + 10#${BASH_REMATCH[3]} * 1000))
		r_cpu=$wcpu
	else
		r_pkts=0 r_us=1 r_cpu=''
	fi
	[ -f "$work/metrics.prom" ] && cp "$work/metrics.prom" "${log%.log}.prom"
	return 0
}

# Drops hepprobe counted for reasons outside $allow_drops, plus port-level
# losses, as "name value" lines (nothing when clean).
bad_drops() {
	awk -v allow=",$allow_drops," '
		/^hepprobe_drops_total\{reason="/ {
			r = $1; sub(/.*reason="/, "", r); sub(/".*/, "", r)
			if ($2 > 0 && index(allow, "," r ",") == 0) print r, $2
		}
		/^hepprobe_(port_imissed|port_ierrors|port_rx_nombuf|hep_send_errors)_total / {
			if ($2 > 0) print $1, $2
		}
	' "$1"
}

load_now() { local a rest; read -r a rest </proc/loadavg; echo "$a"; }

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cores=$(nproc)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" --no-optional-locks status --porcelain 2>/dev/null)" ] && commit+=-dirty
dpdk_ver=$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)
frames=$(capinfos -M -c "$input" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')
load_before=$(load_now)

echo "input: $input (${frames:-?} frames); $rounds round(s) of $duration s; logs in $work" >&2
tp_rates=() hp_rates=() tp_cpu=() hp_cpu=() rows=()
fail=0
for ((i = 1; i <= rounds; i++)); do
	run_testpmd "$work/round$i-testpmd.log"
	tp_rates+=("$(awk -v p="$r_pkts" -v u="$r_us" 'BEGIN { printf "%.0f", p * 1e6 / u }')")
	tp_cpu+=("$(awk -v p="$r_pkts" -v c="$r_cpu" 'BEGIN { if (c == "" || p == 0) print "n/a"; else printf "%.1f", c / p }')")
	rows+=("| $i | testpmd rxonly | $r_pkts | $(awk -v u="$r_us" 'BEGIN { printf "%.3f", u / 1e6 }') | ${tp_rates[-1]} | $(awk -v c="$r_cpu" -v u="$r_us" 'BEGIN { if (c == "") print "n/a"; else printf "%.0f %%", c / u / 10 }') | ${tp_cpu[-1]} |")
	echo "round $i testpmd:  ${tp_rates[-1]} packets/s, worker CPU ${tp_cpu[-1]} ns/packet" >&2

	run_hepprobe "$work/round$i-hepprobe.log"
	hp_rates+=("$(awk -v p="$r_pkts" -v u="$r_us" 'BEGIN { printf "%.0f", p * 1e6 / u }')")
	hp_cpu+=("$(awk -v p="$r_pkts" -v c="$r_cpu" 'BEGIN { if (c == "" || p == 0) print "n/a"; else printf "%.1f", c / p }')")
	rows+=("| $i | hepprobe | $r_pkts | $(awk -v u="$r_us" 'BEGIN { printf "%.3f", u / 1e6 }') | ${hp_rates[-1]} | $(awk -v c="$r_cpu" -v u="$r_us" 'BEGIN { if (c == "") print "n/a"; else printf "%.0f %%", c / u / 10 }') | ${hp_cpu[-1]} |")
	echo "round $i hepprobe: ${hp_rates[-1]} packets/s, worker CPU ${hp_cpu[-1]} ns/packet" >&2
	if [ -f "$work/round$i-hepprobe.prom" ]; then
		bad=$(bad_drops "$work/round$i-hepprobe.prom")
		if [ -n "$bad" ]; then
			echo "round $i hepprobe: unexpected drops/losses:" >&2
			printf '  %s\n' "${bad//$'\n'/$'\n  '}" >&2
			fail=1
		fi
	else
		echo "round $i hepprobe: no metrics file written" >&2
		fail=1
	fi
done
load_after=$(load_now)

median() { printf '%s\n' "$@" | awk '$1 != "n/a"' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
tp_med=$(median "${tp_rates[@]}")
hp_med=$(median "${hp_rates[@]}")
tp_cmed=$(median "${tp_cpu[@]}")
hp_cmed=$(median "${hp_cpu[@]}")
ns() { awk -v r="$1" 'BEGIN { if (r + 0 == 0) print "n/a"; else printf "%.1f", 1e9 / r }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.3f", a / b }'; }

table=$(
	echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — commit $commit"
	echo
	echo "- machine: $cpu_model, $cores cores; $(uname -sr); DPDK $dpdk_ver"
	echo "- input: \`${input#"$root"/}\` (${frames:-?} frames), $rounds round(s) of $duration s, alternating testpmd/hepprobe"
	echo "- load average (1 min) before/after: $load_before / $load_after"
	echo
	echo "| | testpmd rxonly (ceiling) | hepprobe |"
	echo "|---|---|---|"
	echo "| packets/s, median (wall) | $tp_med | $hp_med |"
	echo "| ns/packet (wall) | $(ns "$tp_med") | $(ns "$hp_med") |"
	echo "| ns/packet of worker CPU, median | $tp_cmed | $hp_cmed |"
	echo "| hepprobe / testpmd, packets/s (wall) | | $(ratio "$hp_med" "$tp_med") |"
	echo "| hepprobe / testpmd, packets per CPU second | | $(ratio "$tp_cmed" "$hp_cmed") |"
	echo "| 2 workers | | n/a (hepprobe runs one worker per RX queue; net_pcap has one queue) |"
	echo
	echo "| round | tool | packets | seconds | packets/s | worker on CPU | worker ns/packet |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Commands (testpmd stopped through its stdin after $duration s of forwarding):"
	echo
	echo '```'
	quote "${testpmd_cmd[@]}"
	quote "${hepprobe_cmd[@]}"
	echo '```'
)
echo "$table"
if [ "$append" = 1 ]; then
	{ echo; echo "$table"; } >>"$results"
	echo "appended to $results" >&2
fi

if [ "$smoke" = 1 ]; then
	if [ "${tp_med%.*}" = 0 ]; then echo "smoke: testpmd rate is 0" >&2; fail=1; fi
	if [ "${hp_med%.*}" = 0 ]; then echo "smoke: hepprobe rate is 0" >&2; fail=1; fi
	[ "$fail" = 0 ] && echo "smoke: ok" >&2
	exit "$fail"
fi
exit 0
