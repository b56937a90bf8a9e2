#!/usr/bin/env bash
# Event ingestion and delivery lag through the local Functions host: Release builds, the host as its own process
# (real worker; queue pump on for lag), Azurite on free ports, stub sinks (Mixpanel, impact.com, Segment) on Kestrel.
#   bench/ingest-load.sh events [rate=300] [seconds=30] [closed-seconds=15] [connections=16]
#   bench/ingest-load.sh lag [calls=200] [calls-per-second=2] [processing-delay-seconds=0]
# Every webhook is signed with a fresh HS256 token (the simulator's signer) and verified, jti replay guard on.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  events | lag) ;;
  *) sed -n '2,6p' "$0"; exit 2 ;;
esac

[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
echo "== build (Release)"
dotnet build tools/CallTracking.LocalHost -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build CallTracking.Functions -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build bench/CallTracking.Benchmarks -c Release --nologo -v quiet -clp:ErrorsOnly
echo "== $(date -u '+%F %H:%M UTC'); uptime:$(uptime)"
dotnet bench/CallTracking.Benchmarks/bin/Release/net10.0/CallTracking.Benchmarks.dll ingest "$@"
echo "== uptime:$(uptime)"
