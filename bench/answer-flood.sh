#!/usr/bin/env bash
# The answer under a closed-loop flood where every request is a new call, and what the call-start writer makes of it.
#   bench/answer-flood.sh [seconds=15] [connections=16]
# Env OPEN_RATE (500) / OPEN_SECONDS (60; 0 skips): first an open loop at a fixed rate of new calls (the loadgen's
# `{n}` numbering), its latency from each request's scheduled start, and how many of those starts were written.
# Release builds, Azurite on free ports, the local host (real worker, queue triggers off, signatures off as in
# local-host-load.sh), the sample campaigns. wrk (unique conversation and leg uuid per request, from a Lua script)
# answers the demo number for <seconds>; then the Calls table's rows are counted every second until they stop
# When the worker and Azurite go idle, the Calls rows are counted once: rows / time from the flood's start to the end of
# the writing = the writer's sustained rate; requests − rows = starts dropped (left to the event webhook). /api/health at the end shows the writer's own counts (written, pending, dropped).
# CPU seconds of host, worker and Azurite over the whole run are read from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=${2:-16}

command -v wrk >/dev/null 2>&1 || (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
echo "== build (Release)"
dotnet build tools/CallTracking.LocalHost -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build bench/CallTracking.Benchmarks -c Release --nologo -v quiet -clp:ErrorsOnly
host_dll=tools/CallTracking.LocalHost/bin/Release/net10.0/CallTracking.LocalHost.dll
app_dir=$(pwd)/CallTracking.Functions/bin/Release/net10.0
benchmarks=${BENCHMARKS_DLL:-bench/CallTracking.Benchmarks/bin/Release/net10.0/CallTracking.Benchmarks.dll}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000)); listening "$p" || { echo "$p"; return; }; done; }
cpu_ms() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $((t * 1000 / $(getconf CLK_TCK))); }

pids=()
lua=$(mktemp --suffix=.lua)
cleanup() { for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done; rm -f "$lua"; }
trap cleanup EXIT

blob=$(free_port); queue=$(free_port); table=$(free_port)
node_modules/.bin/azurite --silent --inMemoryPersistence --skipApiVersionCheck --loose --disableProductStyleUrl \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" --tableHost 127.0.0.1 --tablePort "$table" \
  >/dev/null 2>&1 &
azurite_pid=$!
pids+=($azurite_pid)
for _ in $(seq 1 600); do listening "$table" && listening "$queue" && break; sleep 0.1; done
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==" # Azurite's public dev key
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
export Vonage__VerifySignatures=false
port=$(free_port)
base="http://127.0.0.1:$port"
log=/tmp/bench-answer-flood.$$.log
dotnet "$host_dll" --port "$port" --app "$app_dir" --no-queues >"$log" 2>&1 &
host_pid=$!
pids+=($host_pid)
for _ in $(seq 1 1200); do curl -fsS -o /dev/null "$base/api/health" 2>/dev/null && break; sleep 0.1; done
worker_pid=$(grep -o 'Worker process started (pid [0-9]*' "$log" | grep -o '[0-9]*$' | head -1)
curl -sS -o /dev/null -w "demo import: HTTP %{http_code}\n" -X POST -H 'Content-Type: application/json' \
  --data-binary @campaigns.sample.json "$base/api/campaigns/import"
for i in $(seq 1 200); do curl -fsS -o /dev/null "$base/api/answer?to=447700900001&from=447700900123&uuid=warm-$i&conversation_uuid=WARM-$i"; done
sleep 2
rows() { dotnet "$benchmarks" loadgen rows "$AzureWebJobsStorage" Calls; }
before=$(rows)
cat >"$lua" <<LUA
local counter, threads = 0, 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function request()
  counter = counter + 1
  local id = "$$-" .. tid .. "-" .. counter
  return wrk.format("GET", "/api/answer?to=447700900001&from=447700900123&uuid=L-" .. id .. "&conversation_uuid=CON-" .. id)
end
LUA

wait_idle() { # until worker + Azurite use < 5 % of a core for 2 s in a row; prints the seconds since $1 when they last worked
  local idle=0 prev now last_busy
  prev=$(cpu_ms "$worker_pid" "$azurite_pid"); last_busy=$(date +%s.%N)
  while [ "$idle" -lt 4 ]; do
    sleep 0.5
    now=$(cpu_ms "$worker_pid" "$azurite_pid")
    if [ $((now - prev)) -lt 25 ]; then idle=$((idle + 1)); else idle=0; last_busy=$(date +%s.%N); fi
    prev=$now
  done
  echo "$last_busy - $1" | bc
}

open_rate=${OPEN_RATE:-500}; open_seconds=${OPEN_SECONDS:-60}
if [ "$open_seconds" -gt 0 ]; then
  echo "== $(date -u '+%F %H:%M UTC'); uptime:$(uptime)"
  echo "== open loop: $open_rate new calls/s for $open_seconds s"
  open_cpu_before=$(cpu_ms "$host_pid" "$worker_pid"); open_az_before=$(cpu_ms "$azurite_pid")
  open_start=$(date +%s.%N)
  dotnet "$benchmarks" loadgen open "$base/api/answer?to=447700900001&from=447700900123&uuid=OL-{n}&conversation_uuid=OPEN-{n}" "$open_rate" "$open_seconds" || true
  open_end=$(wait_idle "$open_start")
  open_rows=$(( $(rows) - before ))
  echo "open loop: $open_rows call starts written of $((open_rate * open_seconds)) + warm-up $(( open_rate < 500 ? open_rate : 500 )); writing ended $(printf '%.1f' "$open_end") s after the open loop's start"
  open_cpu=$(( $(cpu_ms "$host_pid" "$worker_pid") - open_cpu_before )); open_az=$(( $(cpu_ms "$azurite_pid") - open_az_before ))
  echo "open loop: writer's sustained rate $(echo "scale=0; $open_rows / $open_end" | bc) starts/s; CPU host + worker $open_cpu ms, Azurite $open_az ms ($(echo "scale=2; $open_az / $open_rows" | bc) ms per written start)"
  echo "health: $(curl -sS "$base/api/health")"
  before=$(rows)
fi

echo "== $(date -u '+%F %H:%M UTC'); uptime:$(uptime)"
# The same wrk run against the Node tutorial app first (the issue's floor), on the same machine, moments apart.
node_port=$(free_port)
node bench/node-tutorial-app.js "$node_port" &
node_pid=$!
for _ in $(seq 1 100); do listening "$node_port" && break; sleep 0.1; done
echo "== Node tutorial app: wrk -t2 -c$connections -d${duration}s (same script)"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$lua" "http://127.0.0.1:$node_port/" >/tmp/bench-answer-flood.$$.node
cat /tmp/bench-answer-flood.$$.node
node_rps=$(awk '/Requests\/sec/ {print $2}' /tmp/bench-answer-flood.$$.node)
rm -f /tmp/bench-answer-flood.$$.node
kill -TERM "$node_pid"; wait "$node_pid" 2>/dev/null || true
echo "== ours: wrk -t2 -c$connections -d${duration}s"
cpu_before=$(cpu_ms "$host_pid" "$worker_pid"); az_before=$(cpu_ms "$azurite_pid")
start=$(date +%s.%N)
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$lua" "$base/" | tee /tmp/bench-answer-flood.$$.wrk
requests=$(awk '/requests in/ {print $1}' /tmp/bench-answer-flood.$$.wrk)
our_rps=$(awk '/Requests\/sec/ {print $2}' /tmp/bench-answer-flood.$$.wrk)
echo "== ours / Node tutorial app: $our_rps / $node_rps req/s = $(echo "scale=2; $our_rps / $node_rps" | bc) ×"
rm -f /tmp/bench-answer-flood.$$.wrk
echo "== waiting for the call-start writer to go idle"
last_t=$(wait_idle "$start")
cpu_after=$(cpu_ms "$host_pid" "$worker_pid"); az_after=$(cpu_ms "$azurite_pid")
last=$(( $(rows) - before ))
echo "== result: $requests answers; $last call starts written (sustained $(echo "scale=0; $last / $last_t" | bc) rows/s: writing ended $(printf '%.1f' "$last_t") s after the flood's start); $((requests - last)) not written (dropped)"
echo "CPU over the run: host + worker $((cpu_after - cpu_before)) ms ($(echo "scale=3; ($cpu_after - $cpu_before) / $requests" | bc) ms per answer), Azurite $((az_after - az_before)) ms"
echo "health: $(curl -sS "$base/api/health")"
grep -c "call starts dropped" "$log" | sed 's/^/worker warnings about drops: /' || true
echo "== uptime:$(uptime)"
rm -f "$log"
