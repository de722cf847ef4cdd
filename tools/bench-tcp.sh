#!/usr/bin/env bash
# TCP benchmarks of issue 3: ingest events/s with 1, 4 and 16 producers, the worker's peak RSS while producers
# outrun the learner, and recommend requests/s with p50/p99 latency over a 10,000-item catalog.
# Usage: tools/bench-tcp.sh [events]   (default 1000000). Prints one JSON line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
dotnet build RecoStream.sln -c Release --nologo -v quiet -clp:ErrorsOnly >&2
W=src/RecoStream.Worker/bin/Release/net10.0/RecoStream.Worker.dll
L=tools/RecoStream.Load/bin/Release/net10.0/RecoStream.Load.dll
store=$(mktemp -d)
port=17464
trap 'rm -rf "$store"' EXIT

start_worker() {
  rm -rf "$store"/*
  dotnet "$W" --RecoStream:Storage:Path="$store/db" --RecoStream:Ingest:Tcp:Port=$port --RecoStream:Metrics:Port=0 \
    --RecoStream:Diagnostics:ProgressIntervalSeconds=0 --RecoStream:Storage:CheckpointEveryEvents=1000000 "$@" </dev/null 2>"$store.log" &
  worker=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
}
stop_worker() {
  local rss
  rss=$(awk '/VmHWM/ {print $2}' /proc/$worker/status)
  kill -TERM $worker; wait $worker
  echo "{\"worker_peak_rss_mib\":$((rss / 1024))}"
}

for clients in 1 4 16; do
  start_worker
  dotnet "$L" ingest --port $port --clients $clients --events "$events"
  stop_worker
done

# Recommend: the default serving learner (implicit MF, rank 64), then the same at rank 32. Closed loop with 1 and 4
# clients (latency), then 4 clients with 16 requests each in flight (how many requests/s the worker answers).
for rank in 64 32; do
  start_worker --RecoStream:Learners:implicit:Rank=$rank
  dotnet "$L" ingest --port $port --clients 4 --events 300000 --items 10000 >/dev/null
  echo "{\"serving_rank\":$rank}"
  dotnet "$L" recommend --port $port --clients 1 --requests 20000 --k 10
  dotnet "$L" recommend --port $port --clients 4 --requests 100000 --k 10
  dotnet "$L" recommend --port $port --clients 4 --requests 200000 --k 10 --pipeline 16
  stop_worker
done
