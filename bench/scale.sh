#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packets/s of one hepprobe worker as the number of concurrent RTP streams
# grows: 1k, 100k and 1M streams (500, 50k, 500k calls of 2 streams). Each
# size replays a capture from bench/sender/scalecap.py forever (--loop):
# per call an INVITE with an SDP offer, then K RTP packets per stream,
# interleaved over all streams, no BYE.
#
# The first pass through the file creates every dialog and stream; later
# passes only look them up. The rate is therefore measured in steady state:
# hepprobe rewrites its metrics every second (--metrics-interval 1), the
# script reads hepprobe_rx_frames_total, the INVITE count and the worker
# thread's CPU time (/proc/PID/task/TID/schedstat) at each rewrite, and the
# window starts at the first snapshot after one whole pass and ends after
# --passes more passes. rtp_streams_total must not grow inside the window
# (it would if streams expired and were created again: stream idle time is
# 30 s of wall clock, net_pcap's infinite_rx frames carry no capture time).
#
# Two figures per run, as in run.sh: packets/s of wall time, and nanoseconds
# of worker CPU per packet (the cost of a packet, nearly independent of how
# much of the core other processes took).
#
# The capture re-sends every INVITE each pass, so a third (K=1) or a fifth
# (K=2) of its frames are SIP, which costs several times an RTP packet and
# grows faster with the table size; a loaded link carries well under 1 %
# SIP. K cannot grow at 1M streams (net_pcap preloads the whole pass into
# mbufs), so each size runs two or more layouts (--layouts, values of K)
# and the per-kind costs come out of a fit, assuming the worker CPU of a
# window is linear in its mix, cpu = S * sip + R * rtp, with the same S and
# R in every layout of one size. With the SIP share f of the window's
# frames, the ns/packet c = R + (S - R) * f: a straight line in f, exact
# through two layouts, least squares through three or more, whose residuals
# test the assumption. The spread is (max - min) / min over the sizes, of R
# (RTP packets), of S, and of each layout's measured c; the target is 20 %.
#
# usage: bench/scale.sh [--calls 500,50000,500000] [--layouts 1,2] [--repeat N]
#                       [--passes N] [--min-window S] [--max-time S] [--build-dir DIR] [--no-build]
#                       [--results FILE] [--no-append]
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
calls_list=500,50000,500000
layouts=1,2
passes=2
repeat=1
min_window=10
max_time=900
build_dir=$root/build-bench-native
build=1
results=$here/RESULTS.md
append=1
# Bytes of EAL memory per preloaded frame: an mbuf (2176-byte data room,
# 128-byte header, mempool header) is about 2.4 KB, but with --no-huge the
# pages are 4 KB and a mempool object never crosses a page: one page each.
mbuf_bytes=4160

usage() {
	sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	cat <<'EOF'

  --calls LIST      concurrent calls per size (default 500,50000,500000:
                    1k, 100k, 1M streams)
  --layouts LIST    values of K, RTP packets per stream in the capture, run
                    at every size (default 1,2: each pass carries 1 INVITE
                    and 2K RTP packets per call); two or more distinct
                    values give the per-kind costs, three or more also the
                    residuals of the linear fit
  --passes N        whole passes in the measured window (default 2)
  --repeat N        runs of every size and layout (default 1); the fit
                    takes each layout's lowest steady CPU ns/packet, the
                    run other processes disturbed least
  --min-window S    the window also lasts at least S seconds (default 10)
  --max-time S      give up a size after S seconds of replay (default 900);
                    the window then ends at the last snapshot and the row
                    says how many passes it covered
  --build-dir DIR   meson build directory (default build-bench-native,
                    configured with -Dnative=true)
  --no-build        use DIR/hepprobe as it is
  --results FILE    where the table is appended (default bench/RESULTS.md)
  --no-append       print the table only
EOF
	exit "${1:-0}"
}
die() { echo "bench/scale.sh: $*" >&2; exit 2; }
# shellcheck source=bench/common.sh
. "$here/common.sh"

while [ $# -gt 0 ]; do
	case $1 in
	--calls) calls_list=${2:?}; shift 2 ;;
	--layouts) layouts=${2:?}; shift 2 ;;
	--passes) passes=${2:?}; shift 2 ;;
	--repeat) repeat=${2:?}; shift 2 ;;
	--min-window) min_window=${2:?}; shift 2 ;;
	--max-time) max_time=${2:?}; shift 2 ;;
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--no-build) build=0; shift ;;
	--results) results=${2:?}; shift 2 ;;
	--no-append) append=0; shift ;;
	-h|--help) usage 0 ;;
	*) echo "bench/scale.sh: unknown option '$1'" >&2; usage 2 ;;
	esac
done
[[ $calls_list =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--calls wants a comma-separated list of counts, not '$calls_list'"
[[ $layouts =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--layouts wants a comma-separated list of counts > 0, not '$layouts'"
[ "$(tr , '\n' <<<"$layouts" | sort -u | wc -l)" = "$(tr , '\n' <<<"$layouts" | wc -l)" ] ||
	die "--layouts lists a value twice: '$layouts'"
[[ $passes =~ ^[1-9][0-9]*$ ]] || die "--passes wants a count > 0, not '$passes'"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat wants a count > 0, not '$repeat'"
[[ $min_window =~ ^[0-9]+$ ]] || die "--min-window wants whole seconds, not '$min_window'"
[[ $max_time =~ ^[1-9][0-9]*$ ]] || die "--max-time wants whole seconds > 0, not '$max_time'"
case $build_dir in /*) ;; *) build_dir=$PWD/$build_dir ;; esac

bench_build
data=$build_dir/bench-data
work=$build_dir/bench-scale
rm -rf "$work"
mkdir -p "$data" "$work"

# Reads the metrics snapshot into s_rx, s_inv, s_act, s_tot, s_dlg, s_full
# (no fork: this runs ten times a second next to the worker).
read_prom() {
	local k v
	s_rx='' s_inv=0 s_act='' s_tot='' s_dlg='' s_full=0
	while read -r k v; do
		case $k in
		hepprobe_rx_frames_total) s_rx=$v ;;
		'hepprobe_sip_requests_total{method="INVITE"}') s_inv=$v ;;
		hepprobe_rtp_streams_active) s_act=$v ;;
		hepprobe_rtp_streams_total) s_tot=$v ;;
		hepprobe_dialogs_active) s_dlg=$v ;;
		'hepprobe_drops_total{reason="stream_table_full"}') s_full=$v ;;
		esac
	done <"$1" 2>/dev/null || true
}

# Prints the steal time of CPU 1 (the worker's lcore), in USER_HZ ticks: a
# guest counts the time its hypervisor gave to other guests as the worker's
# run time, so the CPU figure of a window with steal is inflated.
steal_ticks() {
	local cpu st
	while read -r cpu _ _ _ _ _ _ _ st _; do
		if [ "$cpu" = cpu1 ]; then echo "$st"; return; fi
	done </proc/stat
	echo 0
}

rss_kb() {
	local k v
	while read -r k v _; do
		if [ "$k" = VmRSS: ]; then echo "$v"; return; fi
	done <"/proc/$1/status" 2>/dev/null
	echo '?'
}

# One size and layout: sets the row variables below.
run_size() {
	local calls=$1 rtp=$2 input frames streams ms md mem_mb avail_mb prom log pid
	local cpu=0 ns rest t start_us='' w0_t='' w0_rx='' w0_cpu='' w0_tot='' w0_inv='' w0_st=0
	local w1_t='' w1_rx='' w1_cpu='' w1_tot='' w1_inv='' w1_st=0'' last_rx=-1 rss='?' target
	input=$data/scale-${calls}c-${rtp}r.pcap
	if [ ! -s "$input" ]; then
		echo "generating $input ..." >&2
		python3 "$here/sender/scalecap.py" --calls "$calls" --rtp "$rtp" --out "$input.tmp" >&2 ||
			die "bench/sender/scalecap.py failed"
		mv "$input.tmp" "$input"
	fi
	frames=$((calls * (1 + 2 * rtp)))
	streams=$((2 * calls))
	# Room for every stream and dialog plus a quarter, at least the defaults.
	ms=$((streams + streams / 4)); [ "$ms" -ge 16384 ] || ms=16384
	md=$((calls + calls / 4)); [ "$md" -ge 8192 ] || md=8192
	mem_mb=$((frames * mbuf_bytes / 1048576 + 1024))
	avail_mb=$(awk '/MemAvailable/ { printf "%d", $2 / 1024 }' /proc/meminfo)
	[ $((mem_mb + (ms * 610 + md * 2100) / 1048576 + 512)) -lt "$avail_mb" ] ||
		die "$calls calls need about $mem_mb MB of EAL memory for the preloaded capture plus the tables; $avail_mb MB available"
	prom=$work/scale-$calls-$rtp.prom
	log=$work/scale-$calls-$rtp.log
	# A repeat must not read the previous run's last snapshot as its first.
	rm -f "$prom"
	cmd=("$hepprobe" -l 0-1 --no-huge -m "$mem_mb" --no-pci --no-shconf --no-telemetry --log-level='*:warning'
		-- --pcap "$input" --loop --duration 86400 --quiet --max-streams "$ms" --max-dialogs "$md"
		--metrics-file "$prom" --metrics-interval 1)
	"${cmd[@]}" >"$log" 2>&1 </dev/null &
	pid=$!
	wtid=''
	target=''
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		[ -n "$wtid" ] || find_worker "$pid"
		[ -f "$prom" ] || continue
		read_prom "$prom"
		if [ -z "$s_rx" ] || [ "$s_rx" = "$last_rx" ]; then continue; fi
		# A new snapshot: take the worker's CPU time now.
		last_rx=$s_rx
		t=$(now_us)
		[ -n "$wtid" ] && read -r ns rest 2>/dev/null <"/proc/$pid/task/$wtid/schedstat" && cpu=$ns
		if [ -z "$start_us" ] && [ "$s_rx" -gt 0 ]; then start_us=$t; fi
		if [ -z "$w0_t" ] && [ "$s_rx" -ge "$frames" ]; then
			w0_t=$t w0_rx=$s_rx w0_cpu=$cpu w0_tot=$s_tot w0_inv=$s_inv w0_st=$(steal_ticks)
			target=$((w0_rx + passes * frames))
			echo "  $calls calls, K=$rtp: pass 1 done at $s_rx frames, $s_act streams active, $s_dlg dialogs" >&2
		elif [ -n "$w0_t" ]; then
			w1_t=$t w1_rx=$s_rx w1_cpu=$cpu w1_tot=$s_tot w1_inv=$s_inv w1_st=$(steal_ticks)
			r_act=$s_act r_dlg=$s_dlg r_full=$s_full
			rss=$(rss_kb "$pid")
			if [ "$s_rx" -ge "$target" ] && [ $((t - w0_t)) -ge $((min_window * 1000000)) ]; then break; fi
		fi
		if [ -n "$start_us" ] && [ $((t - start_us)) -gt $((max_time * 1000000)) ]; then
			echo "  $calls calls, K=$rtp: --max-time $max_time s reached at $s_rx frames" >&2
			break
		fi
	done
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	r_frames=$frames r_ms=$ms r_md=$md r_rss=$rss
	r_cmd=$(quote "${cmd[@]}")
	if [ -z "$w1_t" ] || [ "$w1_rx" -le "$w0_rx" ]; then
		r_pps=n/a r_ns=n/a r_cpu=n/a r_oncpu=n/a r_passes=0 r_new=n/a r_p1=n/a r_fwin=n/a r_steal=n/a
		[ -n "$r_act" ] || r_act=n/a
		echo "  $calls calls, K=$rtp: no steady-state window (see $log)" >&2
		return
	fi
	r_pps=$(awk -v p=$((w1_rx - w0_rx)) -v u=$((w1_t - w0_t)) 'BEGIN { printf "%.0f", p * 1e6 / u }')
	r_ns=$(awk -v r="$r_pps" 'BEGIN { printf "%.1f", 1e9 / r }')
	r_cpu=$(awk -v c=$((w1_cpu - w0_cpu)) -v p=$((w1_rx - w0_rx)) 'BEGIN { printf "%.1f", c / p }')
	r_oncpu=$(awk -v c=$((w1_cpu - w0_cpu)) -v u=$((w1_t - w0_t)) 'BEGIN { printf "%.0f %%", c / u / 10 }')
	r_steal=$(awk -v s=$((w1_st - w0_st)) -v u=$((w1_t - w0_t)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f %%", s * 1e8 / hz / u }')
	r_passes=$(awk -v p=$((w1_rx - w0_rx)) -v f="$frames" 'BEGIN { printf "%.2f", p / f }')
	r_new=$((w1_tot - w0_tot))
	# The window's own SIP share: it rarely spans whole passes, and a pass
	# starts with all its INVITEs, so the share of the pass (1 / (1 + 2K))
	# can be off by a part of a pass.
	r_fwin=$(awk -v s=$((w1_inv - w0_inv)) -v p=$((w1_rx - w0_rx)) 'BEGIN { printf "%.4f", s / p }')
	# Pass 1 (creates every stream): worker CPU from its start to the first
	# window snapshot, over the frames seen by then.
	r_p1=$(awk -v c="$w0_cpu" -v p="$w0_rx" 'BEGIN { printf "%.1f", c / p }')
	echo "  $calls calls, K=$rtp: steady $r_pps packets/s, $r_cpu ns/packet of worker CPU over $r_passes passes, SIP share $r_fwin; streams created in the window: $r_new" >&2
}


# Fits c = R + (S - R) * f through the lines "K f c" on stdin (K the
# layout, f its window's SIP share, c its CPU ns/packet). Prints "R S dR dS"
# on the first line, dR and dS being how many % R and S move when every c
# is off by 1 % in the worst direction (R and S are weighted sums of the
# c; the layouts' shares are close together, so the weights are large), then per layout "K c fitted res" (res = (c - fitted) / c,
# in %), and with three layouts or more "loo pred err": the layout predicted
# by a line through the others alone, and that prediction's error in %.
fit_mix() {
	awk '
	function line(skip,   i, n, sf, sc, sff, sfc) {
		n = sf = sc = sff = sfc = 0
		for (i = 1; i <= m; i++) {
			if (i == skip)
				continue
			n++; sf += f[i]; sc += c[i]; sff += f[i] * f[i]; sfc += f[i] * c[i]
		}
		slope = (n * sfc - sf * sc) / (n * sff - sf * sf)
		icept = (sc - slope * sf) / n
	}
	NF { m++; k[m] = $1; f[m] = $2; c[m] = $3 }
	END {
		if (m < 2)
			exit
		line(0)
		sf = 0
		for (i = 1; i <= m; i++)
			sf += f[i]
		fm = sf / m
		sxx = 0
		for (i = 1; i <= m; i++)
			sxx += (f[i] - fm) ^ 2
		er = es = 0
		for (i = 1; i <= m; i++) {
			wr = 1 / m - fm * (f[i] - fm) / sxx
			ws = wr + (f[i] - fm) / sxx
			er += (wr < 0 ? -wr : wr) * c[i] / 100
			es += (ws < 0 ? -ws : ws) * c[i] / 100
		}
		r = icept; s = icept + slope
		printf "%.1f %.1f %.1f %.1f\n", r, s, er * 100 / r, es * 100 / s
		for (i = 1; i <= m; i++)
			fit[i] = icept + slope * f[i]
		for (i = 1; i <= m; i++) {
			printf "%s %.1f %.1f %+.1f", k[i], c[i], fit[i], (c[i] - fit[i]) * 100 / c[i]
			if (m >= 3) {
				line(i)
				p = icept + slope * f[i]
				printf " loo %.1f %+.1f", p, (p - c[i]) * 100 / c[i]
			}
			printf "\n"
		}
	}'
}

# Prints the first line of fit_mix ("R S dR dS") for every choice of one
# run per layout, from layout index $1 on, $2 holding the lines chosen so
# far; runs[K] holds each layout's steady runs as "f c" words joined by ':'.
# Their range is an error bar measured rather than assumed.
fit_choices() {
	local i=$1 acc=$2 k run
	if [ "$i" -ge "${#ks[@]}" ]; then
		fit_mix <<<"$acc" | head -n 1
		return
	fi
	k=${ks[i]}
	if [ -z "${runs[$k]:-}" ]; then
		fit_choices $((i + 1)) "$acc"
		return
	fi
	while read -r -d : run; do
		fit_choices $((i + 1)) "$acc$k $run"$'\n'
	done <<<"${runs[$k]}"
}

# (max - min) / min of the numbers given, in %, or n/a with fewer than two.
spread_of() {
	printf '%s\n' "$@" | awk 'NF { v[++n] = $1 } END {
		if (n < 2) { print "n/a"; exit }
		lo = hi = v[1]
		for (i = 2; i <= n; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i] }
		printf "%.1f %%", (hi - lo) * 100 / lo
	}'
}

# "met" or "not met" for a spread from spread_of against the 20 % target.
verdict() {
	case $1 in n/a) echo "n/a" ;; *) awk -v s="${1% %}" 'BEGIN { print (s <= 20 ? "met" : "not met") }' ;; esac
}

# A fit residual or a prediction error within this many % keeps the linear
# assumption: run-to-run noise at a steady load is a few % on this VM.
res_limit=5

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" --no-optional-locks status --porcelain 2>/dev/null)" ] && commit+=-dirty
load_before=$(cut -d' ' -f1 /proc/loadavg)
IFS=, read -r -a sizes <<<"$calls_list"
IFS=, read -r -a ks <<<"$layouts"
declare -A mixed=()
rows=() in_fit=() cmds=() size_rows=() notes=() checks=() r_all=() s_all=() worst=0
for c in "${sizes[@]}"; do
	declare -A best_c=() best_f=() best_i=() runs=()
	# Repeats go round all layouts in turn, so a slow spell of the machine
	# does not hit every repeat of one layout.
	for ((n = 1; n <= repeat; n++)); do
		for k in "${ks[@]}"; do
			echo "size: $c calls ($((2 * c)) streams), layout K=$k, run $n of $repeat" >&2
			r_act='' r_dlg='' r_full=0
			run_size "$c" "$k"
			fpass=$(awk -v k="$k" 'BEGIN { printf "%.4f", 1 / (1 + 2 * k) }')
			rows+=("| $((2 * c)) | $c | $k | $r_frames | $fpass / $r_fwin | $r_ms / $r_md | $r_p1 | $r_pps | $r_ns | $r_cpu | $r_oncpu | $r_steal | $r_passes | $r_act / $r_dlg | $r_new | $r_full | $r_rss |")
			in_fit+=("not steady")
			cmds+=("$r_cmd")
			# Only steady-state runs enter the fit: no window, a stream
			# created inside it or a table-full drop would mix in creation
			# costs.
			if [ "$r_cpu" = n/a ] || [ "$r_new" != 0 ] || [ "$r_full" != 0 ]; then
				notes+=("- $((2 * c)) streams, K=$k, run $n: not steady (window: $r_cpu ns/packet, $r_new streams created, $r_full table-full drops), left out of the fit")
				continue
			fi
			in_fit[-1]="no, slower repeat"
			runs[$k]+="$r_fwin $r_cpu:"
			if [ -z "${best_c[$k]:-}" ] || awk -v a="$r_cpu" -v b="${best_c[$k]}" 'BEGIN { exit !(a < b) }'; then
				best_c[$k]=$r_cpu best_f[$k]=$r_fwin best_i[$k]=$((${#rows[@]} - 1))
			fi
		done
	done
	pts=''
	for k in "${ks[@]}"; do
		[ -n "${best_c[$k]:-}" ] || continue
		in_fit[${best_i[$k]}]=yes
		pts+="$k ${best_f[$k]} ${best_c[$k]}"$'\n'
		mixed[$k]+="${best_c[$k]} "
	done
	fit=$(fit_mix <<<"$pts")
	if [ -z "$fit" ]; then
		size_rows+=("| $((2 * c)) | $c | fewer than 2 | n/a | n/a | n/a | n/a | n/a | n/a |")
		continue
	fi
	read -r rr ss dr ds <<<"${fit%%$'\n'*}"
	r_all+=("$rr") s_all+=("$ss")
	pps=$(awk -v r="$rr" 'BEGIN { printf "%.0f", (r > 0 ? 1e9 / r : 0) }')
	used=$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = "," }' <<<"$fit")
	n_used=$(awk 'END { print NR - 1 }' <<<"$fit")
	if [ "$n_used" -lt 3 ]; then
		resid="exact (2 layouts)"
	else
		resid=$(awk 'NR > 1 { r = $4 < 0 ? -$4 : $4; e = $7 < 0 ? -$7 : $7; if (r > mr) mr = r; if (e > me) me = e }
			END { printf "%.1f %% / %.1f %%", mr, me }' <<<"$fit")
		worst=$(awk -v w="$worst" 'NR > 1 { r = $4 < 0 ? -$4 : $4; e = $7 < 0 ? -$7 : $7; if (r > w) w = r; if (e > w) w = e }
			END { print w }' <<<"$fit")
		while read -r k cm cf res _ lp le; do
			checks+=("- $((2 * c)) streams, K=$k: measured $cm ns/packet, fit $cf ($res %), predicted from the other layouts alone $lp ($le %)")
		done < <(tail -n +2 <<<"$fit")
	fi
	if [ "$repeat" -gt 1 ]; then
		range=$(fit_choices 0 '' | awk 'NF { if (n++ == 0) { r0 = r1 = $1; s0 = s1 = $2 }
			if ($1 < r0) r0 = $1; if ($1 > r1) r1 = $1; if ($2 < s0) s0 = $2; if ($2 > s1) s1 = $2 }
			END { printf "%s – %s / %s – %s", r0, r1, s0, s1 }')
	else
		range="one run each"
	fi
	size_rows+=("| $((2 * c)) | $c | $used | $rr | $ss | $pps | ±$dr % / ±$ds % | $range | $resid |")
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
r_spread=$(spread_of "${r_all[@]}")
s_spread=$(spread_of "${s_all[@]}")

table=$(
	echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — stream scale, commit $commit"
	echo
	echo "- machine: $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; $(uname -sr); DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)"
	echo "- load average (1 min) before/after: $load_before / $load_after"
	echo "- binary: \`${hepprobe#"$root"/}\`, built $(date -u -r "$hepprobe" '+%Y-%m-%d %H:%M UTC') (the commit above is HEAD at run time)"
	echo "- input: \`bench/sender/scalecap.py --calls N --rtp K\`, K in $layouts (per call an INVITE with SDP, K RTP packets per stream, no BYE: a pass is 1 SIP + 2K RTP frames per call), replayed with --loop"
	echo "- runs: $repeat per size and layout, the layouts in turn; the fit takes each layout's lowest steady CPU ns/packet"
	echo "- steady state: window from the first metrics snapshot after one whole pass (every stream created) over at least $passes more passes and $min_window s; \"created in window\" must be 0"
	echo
	echo "| streams | calls | K | frames per pass | SIP share, pass / window | --max-streams / --max-dialogs | pass 1 ns/packet of worker CPU | packets/s (wall), steady | ns/packet (wall) | ns/packet of worker CPU, steady | worker on CPU | steal on CPU 1 | passes in window | streams / dialogs active at end | streams created in window | stream_table_full drops | VmRSS kB | in the fit |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for i in "${!rows[@]}"; do echo "${rows[i]} ${in_fit[i]} |"; done
	echo
	echo "Per-kind cost, assuming the worker CPU of a window is linear in its mix (cpu = S × SIP messages + R × RTP packets, the same S and R in every layout of a size; each includes its share of the per-burst receive cost): the line c = R + (S − R) × f through each layout's steady CPU ns/packet c and window SIP share f."
	echo
	echo "| streams | calls | layouts fitted (K) | RTP ns/packet of worker CPU (R) | SIP ns/message (S) | packets/s of an RTP-only link (1e9 / R, one worker core) | R / S moved by a 1 % error in every measured c | R / S over every choice of one run per layout, ns | largest fit residual / largest error predicting a layout from the others |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${size_rows[@]}"
	echo
	echo "- **RTP packets (the traffic a loaded link carries): spread of R over the sizes $r_spread, target 20 %: $(verdict "$r_spread").** The packets/s of an RTP-only link spread by the same (max / min − 1)."
	for k in "${ks[@]}"; do
		# shellcheck disable=SC2086 # one word per size
		sp=$(spread_of ${mixed[$k]:-})
		echo "- Mixed capture as replayed, K=$k ($(awk -v k="$k" 'BEGIN { printf "%.0f", 100 / (1 + 2 * k) }') % SIP): spread of the steady CPU ns/packet $sp, target 20 %: $(verdict "$sp")."
	done
	echo "- SIP messages (an INVITE re-sent each pass, dialog and endpoint found): spread of S $s_spread."
	[ "${#notes[@]}" -eq 0 ] || printf '%s\n' "${notes[@]}"
	if [ "${#checks[@]}" -gt 0 ]; then
		echo "- Checks of the linear assumption (limit $res_limit %): $(awk -v w="$worst" -v l="$res_limit" 'BEGIN { printf "largest |residual| or |prediction error| %.1f %%, %s", w, (w <= l ? "holds" : "does not hold") }')"
		printf '  %s\n' "${checks[@]}"
	else
		echo "- Two layouts per size fit the line exactly: nothing tests the linear assumption here; run three layouts (e.g. --calls 500 --layouts 1,2,3) for the residuals."
	fi
	echo
	echo "Commands (stopped with SIGINT once the window was complete):"
	echo
	echo '```'
	printf '%s\n' "${cmds[@]}"
	echo '```'
)
echo "$table"
if [ "$append" = 1 ]; then
	{ echo; echo "$table"; } >>"$results"
	echo "appended to $results" >&2
fi
