#!/usr/bin/env bash
# Load through the local Functions host, Release builds, real worker process, Azurite on free ports.
#   bench/local-host-load.sh [path?query]        default: api/health
#   e.g. bench/local-host-load.sh 'api/answer?to=<demo tracking number>&from=447700900123&uuid=u1&conversation_uuid=CON-1'
# Runs: wrk -t2 -c16 -d15s --latency (closed loop), a 500 req/s open-loop run (p50/p99/p99.9), and worker
# start-to-first-200 on the path (3 runs). Installs wrk from Debian if missing. Env: DURATION (15), RATE (500),
# APP_DIR (the app to run; default the Release build, e.g. a `dotnet publish` output), STARTUP_ONLY=1 (skip the two
# load runs), STARTUP_RUNS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
path=${1:-api/health}
path=${path#/}
duration=${DURATION:-15}
rate=${RATE:-500}

if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk"
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error

echo "== build (Release)"
dotnet build tools/CallTracking.LocalHost -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build bench/CallTracking.Benchmarks -c Release --nologo -v quiet -clp:ErrorsOnly
host_dll=tools/CallTracking.LocalHost/bin/Release/net10.0/CallTracking.LocalHost.dll
app_dir=${APP_DIR:-$(pwd)/CallTracking.Functions/bin/Release/net10.0}
benchmarks=bench/CallTracking.Benchmarks/bin/Release/net10.0/CallTracking.Benchmarks.dll

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000)); listening "$p" || { echo "$p"; return; }; done; }

pids=()
cleanup() { for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT

blob=$(free_port); queue=$(free_port); table=$(free_port)
node_modules/.bin/azurite --silent --inMemoryPersistence --skipApiVersionCheck --loose --disableProductStyleUrl \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" --tableHost 127.0.0.1 --tablePort "$table" \
  >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do listening "$table" && listening "$queue" && break; sleep 0.1; done
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==" # Azurite's public dev key
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"

# Each Vonage JWT carries a one-time jti, so a load generator cannot replay one token: verification is switched
# off explicitly for the benchmark (the app logs a warning saying so). Its cost is not in these numbers.
export Vonage__VerifySignatures=false
port=$(free_port)
base="http://127.0.0.1:$port"
dotnet "$host_dll" --port "$port" --app "$app_dir" --no-queues >/tmp/bench-local-host.$$.log 2>&1 &
pids+=($!)
for _ in $(seq 1 1200); do curl -fsS -o /dev/null "$base/api/health" 2>/dev/null && break; sleep 0.1; done
if [ -f campaigns.sample.json ]; then
  curl -sS -o /dev/null -w "demo import: HTTP %{http_code}\n" -X POST -H 'Content-Type: application/json' \
    --data-binary @campaigns.sample.json "$base/api/campaigns/import" || true
fi
echo "== probe: GET /$path"
curl -sS -w "\nHTTP %{http_code}\n" "$base/$path" | head -c 600; echo

if [ -z "${STARTUP_ONLY:-}" ]; then
  echo "== wrk -t2 -c16 -d${duration}s --latency $base/$path"
  wrk -t2 -c16 -d"${duration}s" --latency "$base/$path"

  echo "== open loop: $rate req/s for $duration s"
  dotnet "$benchmarks" loadgen open "$base/$path" "$rate" "$duration"
fi

kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
rm -f /tmp/bench-local-host.$$.log

runs=${STARTUP_RUNS:-3}
echo "== start to first 200 on /$path ($runs runs; includes the host's own start; app $app_dir); uptime:$(uptime)"
for _ in $(seq 1 "$runs"); do dotnet "$benchmarks" loadgen startup "$host_dll" "$app_dir" "$path"; done
