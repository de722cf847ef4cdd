#!/usr/bin/env bash
# Alternating A/B runs of TCP ingest with two worker builds: for each round and build, a fresh worker (default
# configuration: the four learners, a checkpoint every 50,000 events) takes FILE from 4 producers, or CLIENTS from the
# environment (RecoStream.Load ingest --clients 4 --file FILE, each producer ending with a durable flush) and the load
# generator's summary line is printed with the build's name. At the end, the median of each figure per build. On a shared machine, compare builds within one run of this script.
# Usage: [CLIENTS=N] tools/ab-tcp.sh A_DIR B_DIR FILE [ROUNDS] [worker arguments...]
#   A_DIR and B_DIR each hold a worker build (RecoStream.Worker.dll and its files), e.g. a copy of
#   src/RecoStream.Worker/bin/Release/net10.0 made at each of the two commits; FILE is a JSON-Lines stream, e.g. the
#   MovieLens stream tools/bench-e2e.sh makes (a relative FILE is taken from the current folder). ROUNDS defaults to 3.
#   Needs a Release build of tools/RecoStream.Load.
set -euo pipefail
source "$(dirname "$0")/ab-common.sh"
usage="usage: [CLIENTS=N] tools/ab-tcp.sh A_DIR B_DIR FILE [ROUNDS] [worker arguments...]"
a=$(realpath "${1:?$usage}")
b=$(realpath "${2:?$usage}")
file=$(realpath "${3:?$usage}")
clients=${CLIENTS:-4}
rounds=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
extra=("$@")
cd "$(dirname "$0")/.."
ab_load_generator

run() {  # run BUILD_NAME DIR ROUND
  rm -rf "$work/store"
  local port=17484 http=19484
  dotnet "$2/RecoStream.Worker.dll" --RecoStream:Storage:Path="$work/store" --RecoStream:Ingest:Tcp:Port=$port \
    --RecoStream:Metrics:Port=$http --RecoStream:Diagnostics:ProgressIntervalSeconds=0 "${extra[@]}" </dev/null 2>"$work/worker.log" &
  local worker=$!
  ab_wait_for_port $port
  local load
  load=$(dotnet "$L" ingest --port $port --clients "$clients" --file "$file")
  kill -TERM $worker; wait $worker
  echo "{\"build\":\"$1\",\"round\":$3,${load#\{}"
}

ab_alternate "$rounds" "$a" "$b" "$work/runs.jsonl"
