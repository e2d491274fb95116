#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Throughput of hepprobe's worker against the ceiling of the same input path:
# dpdk-testpmd in rxonly mode reading the same capture through the same
# net_pcap vdev (infinite_rx, mbufs preloaded) on the same worker core.
# Runs alternate (testpmd, hepprobe, then both again with two RX queues and
# two workers, next round) so that drift in machine load hits all alike; the
# table goes to stdout and is appended to bench/RESULTS.md with the commit,
# the machine and the exact command lines.
#
# Two figures per run, because on a shared machine they disagree:
#   wall   packets / wall seconds of the measured window: what the tool
#          delivers on this machine as it is;
#   CPU    nanoseconds the worker threads spent on a CPU per packet (from
#          /proc/PID/task/TID/schedstat): what a packet costs, nearly
#          independent of how often other processes took the core away.
#
# usage: bench/run.sh [--duration S] [--rounds N] [--input FILE] [--smoke]
#                     [--preset tiny] [--build-dir DIR] [--no-build]
#                     [--hepprobe PATH]
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
hepprobe_bin=
# Drop reasons that are not a fault; chosen after the input is known.
allow_drops=-
results=$here/RESULTS.md
append=1

usage() {
	sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	cat <<'EOF'

  --duration S      measured seconds per run (default 10)
  --rounds N        rounds of testpmd, hepprobe, testpmd on 2 queues and
                    hepprobe with 2 workers, alternating (default 3)
  --input FILE      capture to replay (default: bench/gen PRESET, else
                    tests/data/sip_call_rtp_g711a.pcap); at most ~15000 frames,
                    because net_pcap preloads it into the 16383-mbuf pool
  --preset NAME     bench/gen preset when no --input (default tiny; tcp and
                    tunnel are the SIP-over-TCP and tunnelled captures)
  --smoke           1 s, 1 round, no RESULTS.md; exit 1 when a rate is 0, a
                    hepprobe worker received nothing, or hepprobe drops for a
                    reason not in --allow-drops
  --build-dir DIR   meson build directory (default build-bench-native,
                    configured with -Dnative=true)
  --no-build        use DIR/hepprobe as it is
  --hepprobe PATH   run this binary (e.g. another worktree's build), as it
                    is; the commit in the table is that of the git tree
                    holding PATH. The input still comes from DIR/bench-data
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
	--hepprobe) hepprobe_bin=${2:?}; build=0; shift 2 ;;
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
if [ -n "$hepprobe_bin" ]; then
	[ -x "$hepprobe_bin" ] || die "--hepprobe $hepprobe_bin is not an executable"
	hepprobe=$(cd "$(dirname "$hepprobe_bin")" && pwd)/$(basename "$hepprobe_bin")
	# A build directory may hold no bench-data yet: make it for the input.
	mkdir -p "$build_dir"
else
	bench_build
fi

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
# a frame the build does not (yet) deliver as VoIP; with SIP over TCP also
# the segments that hold no whole message yet and those without payload. A
# retransmission there is a fault: every connection of bench/gen tcp closes
# within the capture, so a replay that shows one measures the wrong thing.
# Any other capture may also carry traffic that is simply not VoIP.
if [ "$allow_drops" = - ]; then
	if [ "$input" = "$build_dir/bench-data/bench-$preset.pcap" ]; then
		allow_drops=udp_not_voip
		[ "$preset" = tcp ] && allow_drops+=,tcp_held,tcp_control
	else
		allow_drops=not_ip,l4_unsupported,tcp_not_sip,udp_not_voip,sip_keepalive,sip_empty
	fi
fi
case $input in *,*|*=*) die "input path '$input' contains ',' or '=', which net_pcap devargs cannot carry" ;; esac
command -v capinfos >/dev/null || die "capinfos not found (Debian's wireshark-common): the frame count sizes testpmd's pool"
frames=$(capinfos -M -c "$input" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')
[[ $frames =~ ^[0-9]+$ ]] || die "capinfos cannot count the frames of '$input'"
cores=$(nproc)

# Each run's output and hepprobe's counters, kept for a look afterwards.
work=$build_dir/bench-logs
rm -rf "$work"
mkdir -p "$work"

# Both tools: lcore 0 main, lcore 1 the one worker; no hugepages, no PCI.
eal_opts=(--no-huge -m 1024 --no-pci --no-shconf --no-telemetry --log-level='*:warning')
eal=(-l 0-1 "${eal_opts[@]}")
# Two workers need three lcores. With fewer than three CPUs, the workers
# take one CPU each and the main lcore may run on either (hepprobe's own
# default on such a machine): testpmd's main thread waits on stdin, and
# hepprobe's sleeps between short drains of the HEP rings.
if [ "$cores" -ge 3 ]; then
	eal2=(-l 0-2 "${eal_opts[@]}")
else
	eal2=(--lcores '0@(0,1),1@0,2@1' "${eal_opts[@]}")
fi
# testpmd set up like hepprobe's port: 1 RX queue of 1024 descriptors, a
# 16383-mbuf pool with a 256 cache, bursts of 32. --no-flush-rx: flushing an
# infinite_rx queue would spin for a second before the start.
testpmd_opts=(--forward-mode=rxonly --auto-start --rxd=1024 --txd=256 --mbcache=256 --burst=32
	--no-flush-rx --port-topology=loop --no-lsc-interrupt)
testpmd_cmd=(dpdk-testpmd "${eal[@]}" --vdev "net_pcap0,rx_pcap=$input,infinite_rx=1" --
	"${testpmd_opts[@]}" --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=16383)
# net_pcap makes one RX queue per rx_pcap argument, each preloading its own
# copy of the capture: the pool grows by one copy, as hepprobe's does.
testpmd2_cmd=(dpdk-testpmd "${eal2[@]}" --vdev "net_pcap0,rx_pcap=$input,rx_pcap=$input,infinite_rx=1" --
	"${testpmd_opts[@]}" --nb-cores=2 --rxq=2 --txq=2 --total-num-mbufs=$((16383 + ${frames:-0})))
hepprobe_cmd=("$hepprobe" "${eal[@]}" -- --pcap "$input" --loop --duration "$duration" --quiet
	--metrics-file "$work/metrics.prom")
hepprobe2_cmd=("$hepprobe" "${eal2[@]}" -- --pcap "$input" --loop --queues 2 --duration "$duration"
	--quiet --metrics-file "$work/metrics.prom")
if [ -n "$hep" ]; then
	hepprobe_cmd+=(--hep "$hep")
	hepprobe2_cmd+=(--hep "$hep")
fi

# Sets wcpu to the on-CPU nanoseconds so far of all $nworkers worker threads
# together (kept when a thread is gone, so the last reading survives the
# process exit).
sample_cpu() {
	local t ns rest sum=0
	[ "${#wtids[@]}" -ge "$nworkers" ] || find_workers "$1"
	[ "${#wtids[@]}" -ge "$nworkers" ] || return 0
	for t in "${wtids[@]}"; do
		read -r ns rest 2>/dev/null <"/proc/$1/task/$t/schedstat" || return 0
		sum=$((sum + ns))
	done
	wcpu=$sum
}

# One testpmd run of the command in array $2 with $3 forwarding cores: start,
# wait for forwarding to begin, measure for $duration seconds, stop it
# through its stdin ("Press enter to exit").
# Sets r_pkts, r_us (window), r_cpu (worker ns in the window).
run_testpmd() {
	local log=$1 line buf='' t0='' t1='' c0='' c1='' stop_at=0 give_up pkts='' pid tout tin
	local -n cmd=$2
	nworkers=$3 wtids=() wcpu=''
	coproc TP { exec stdbuf -oL "${cmd[@]}" 2>&1; }
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

# One hepprobe run of the command in array $2 with $3 workers: it stops
# itself after $duration s and prints its rate.
# Sets r_pkts, r_us, r_cpu (worker ns over its whole run).
run_hepprobe() {
	local log=$1 line buf='' rate='' rc pid hout
	local -n cmd=$2
	nworkers=$3 wtids=() wcpu=''
	rm -f "$work/metrics.prom"
	coproc HP { exec stdbuf -oL "${cmd[@]}" 2>&1 </dev/null; }
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
	# rate: N frames in T s = R frames/s (X ns/frame) with W worker(s)
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
# The tree the binary was built from: this one, or --hepprobe's.
tree=$root
[ -n "$hepprobe_bin" ] && tree=$(dirname "$hepprobe")
commit=$(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$tree" --no-optional-locks status --porcelain 2>/dev/null)" ] && commit+=-dirty
dpdk_ver=$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)
load_before=$(load_now)

echo "input: $input ($frames frames); $rounds round(s) of $duration s; logs in $work" >&2
fail=0
rows=()
# Per configuration: packets/s and worker ns/packet of every round.
declare -A rates=() cpus=()
# One run and its row: $1 round, $2 key (tp, hp, tp2, hp2), $3 label.
record() {
	local rate cpu
	rate=$(awk -v p="$r_pkts" -v u="$r_us" 'BEGIN { printf "%.0f", p * 1e6 / u }')
	cpu=$(awk -v p="$r_pkts" -v c="$r_cpu" 'BEGIN { if (c == "" || p == 0) print "n/a"; else printf "%.1f", c / p }')
	rates[$2]+="$rate "
	cpus[$2]+="$cpu "
	rows+=("| $1 | $3 | $r_pkts | $(awk -v u="$r_us" 'BEGIN { printf "%.3f", u / 1e6 }') | $rate | $(awk -v c="$r_cpu" -v u="$r_us" 'BEGIN { if (c == "") print "n/a"; else printf "%.0f %%", c / u / 10 }') | $cpu |")
	printf 'round %s %-24s %s packets/s, worker CPU %s ns/packet\n' "$1" "$3:" "$rate" "$cpu" >&2
}
# Checks a hepprobe run's counters: no drop outside $allow_drops, and each
# of its $3 workers received frames (a worker left without input would
# still give a rate).
check_hepprobe() {
	local prom=$1 what=$2 nw=$3 bad idle
	if [ ! -f "$prom" ]; then
		echo "$what: no metrics file written" >&2
		fail=1
		return
	fi
	bad=$(bad_drops "$prom")
	if [ -n "$bad" ]; then
		echo "$what: unexpected drops/losses:" >&2
		printf '  %s\n' "${bad//$'\n'/$'\n  '}" >&2
		fail=1
	fi
	idle=$(awk -v nw="$nw" '
		/^hepprobe_worker_rx_frames_total\{worker="/ {
			w = $1; sub(/.*worker="/, "", w); sub(/".*/, "", w)
			if ($2 > 0) got[w] = 1
		}
		END { for (i = 0; i < nw; i++) if (!(i in got)) printf "%d ", i }' "$prom")
	if [ -n "$idle" ]; then
		echo "$what: worker(s) ${idle% } received no frames" >&2
		fail=1
	fi
}
for ((i = 1; i <= rounds; i++)); do
	run_testpmd "$work/round$i-testpmd.log" testpmd_cmd 1
	record "$i" tp "testpmd rxonly"
	run_hepprobe "$work/round$i-hepprobe.log" hepprobe_cmd 1
	record "$i" hp "hepprobe"
	check_hepprobe "$work/round$i-hepprobe.prom" "round $i hepprobe" 1
	run_testpmd "$work/round$i-testpmd2.log" testpmd2_cmd 2
	record "$i" tp2 "testpmd rxonly, 2 queues"
	run_hepprobe "$work/round$i-hepprobe2.log" hepprobe2_cmd 2
	record "$i" hp2 "hepprobe, 2 workers"
	check_hepprobe "$work/round$i-hepprobe2.prom" "round $i hepprobe, 2 workers" 2
done
load_after=$(load_now)

# The median of the space-separated numbers in $1 that are not n/a.
median() { local -a v; read -ra v <<<"$1"; printf '%s\n' "${v[@]}" | awk 'NF && $1 != "n/a"' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med=() cmed=()
for k in tp hp tp2 hp2; do
	med[$k]=$(median "${rates[$k]}")
	cmed[$k]=$(median "${cpus[$k]}")
done
ns() { awk -v r="$1" 'BEGIN { if (r + 0 == 0) print "n/a"; else printf "%.1f", 1e9 / r }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.3f", a / b }'; }
if [ "$cores" -ge 3 ]; then
	cpus_note="one CPU per lcore"
else
	cpus_note="3 lcores on $cores CPU(s): the two workers on CPUs of their own, the main lcore on either"
fi

table=$(
	echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — commit $commit"
	echo
	echo "- machine: $cpu_model, $cores cores; $(uname -sr); DPDK $dpdk_ver"
	echo "- input: \`${input#"$root"/}\` ($frames frames), $rounds round(s) of $duration s, alternating testpmd / hepprobe / testpmd on 2 queues / hepprobe with 2 workers"
	echo "- load average (1 min) before/after: $load_before / $load_after"
	echo
	echo "| | testpmd rxonly (ceiling) | hepprobe |"
	echo "|---|---|---|"
	echo "| packets/s, median (wall) | ${med[tp]} | ${med[hp]} |"
	echo "| ns/packet (wall) | $(ns "${med[tp]}") | $(ns "${med[hp]}") |"
	echo "| ns/packet of worker CPU, median | ${cmed[tp]} | ${cmed[hp]} |"
	echo "| hepprobe / testpmd, packets/s (wall) | | $(ratio "${med[hp]}" "${med[tp]}") |"
	echo "| hepprobe / testpmd, packets per CPU second | | $(ratio "${cmed[tp]}" "${cmed[hp]}") |"
	echo "| 2 workers (2 RX queues), packets/s, median (wall) | ${med[tp2]} | ${med[hp2]} |"
	echo "| 2 workers, ns/packet of worker CPU, median | ${cmed[tp2]} | ${cmed[hp2]} |"
	echo "| 2 workers / 1 worker, packets/s (wall; target for hepprobe >= 1.8 with the cores) | $(ratio "${med[tp2]}" "${med[tp]}") | $(ratio "${med[hp2]}" "${med[hp]}") |"
	echo "| hepprobe / testpmd with 2 workers, packets/s (wall) | | $(ratio "${med[hp2]}" "${med[tp2]}") |"
	echo
	echo "2 workers: $cpus_note. Every queue replays the whole capture; \"worker on CPU\" adds both workers (up to 200 %)."
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
	quote "${testpmd2_cmd[@]}"
	quote "${hepprobe2_cmd[@]}"
	echo '```'
)
echo "$table"
if [ "$append" = 1 ]; then
	{ echo; echo "$table"; } >>"$results"
	echo "appended to $results" >&2
fi

if [ "$smoke" = 1 ]; then
	for k in tp hp tp2 hp2; do
		case ${med[$k]} in 0 | 0.* | n/a) echo "smoke: the $k rate is ${med[$k]}" >&2; fail=1 ;; esac
	done
	[ "$fail" = 0 ] && echo "smoke: ok" >&2
	exit "$fail"
fi
exit 0
