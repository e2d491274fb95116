-- SPDX-License-Identifier: BSD-3-Clause
-- Pktgen-DPDK: replay the capture loaded with `-s P:FILE.pcap` on port P at
-- a set packet rate for a set time, then print what went out as one line
--   hp-pktgen port=P sent=N seconds=S
-- which bench/pktgen/rfc2544.py reads back from Pktgen's Lua socket.
--
-- Parameters: globals set before dofile() (the driver sends
-- `HP_PORT="0" HP_PPS=100000 ... dofile("replay.lua")`), else environment
-- variables of the same names, else the defaults below. By hand:
--   HP_PPS=200000 HP_SECONDS=60 pktgen -l 0-2 -n 4 -- -P -m "[1:2].0" \
--       -s 0:bench-tiny.pcap -f bench/pktgen/replay.lua
--
-- Pktgen sets its rate as a percentage of the link speed for frames of the
-- port's configured size, so the script sets that size to the capture's
-- mean frame (HP_SIZE) and converts: one frame on the wire takes
-- size + 4 (FCS) + 8 (preamble) + 12 (inter-frame gap) bytes.

local function param(name, default)
	local v = _G[name]
	if v == nil then v = os.getenv(name) end
	if v == nil then return default end
	return v
end

local port = tostring(param("HP_PORT", "0"))
local pps = tonumber(param("HP_PPS", 100000))
local seconds = tonumber(param("HP_SECONDS", 10))
local size = tonumber(param("HP_SIZE", 220))
local link_mbps = tonumber(param("HP_LINK_MBPS", 10000))

local pct = pps * (size + 24) * 8 / (link_mbps * 1e6) * 100
if pct > 100 then pct = 100 end

pktgen.stop(port)
pktgen.pcap(port, "on")
pktgen.set(port, "count", 0)
pktgen.set(port, "size", size)
pktgen.set(port, "rate", pct)
pktgen.clr()
pktgen.delay(200)

local t0 = os.time()
pktgen.start(port)
pktgen.delay(math.floor(seconds * 1000))
pktgen.stop(port)
-- Let the last bursts leave the TX ring before reading the counter.
pktgen.delay(500)
local elapsed = os.difftime(os.time(), t0)
if elapsed < seconds then elapsed = seconds end

local stats = pktgen.portStats(port, "port")
local st = stats[tonumber(port)]
printf("hp-pktgen port=%s sent=%d seconds=%g pct=%.4f size=%d\n", port, st.opackets, seconds, pct, size)
