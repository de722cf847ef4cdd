#!/usr/bin/env bash
# Alternating A/B runs of the recommend measurement of tools/bench-tcp.sh (rank 32) with two worker builds: for each
# round and build, a fresh worker (the serving learner, implicit MF, at rank 32) learns 300,000 generated events over
# 10,000 items from 4 producers, then answers 200,000 recommend requests (top-10) from 4 clients with 16 requests each in
# flight. Prints the load generator's summary line with the build's name and the CPU seconds of the worker's pipeline
# thread during the requests (the thread that scores), then the median of each figure per build. On a shared machine,
# compare builds within one run of this script.
# Usage: tools/ab-recommend.sh A_DIR B_DIR [ROUNDS] [worker arguments...]
#   A_DIR and B_DIR each hold a worker build (RecoStream.Worker.dll and its files), e.g. a copy of
#   src/RecoStream.Worker/bin/Release/net10.0 made at each of the two commits. ROUNDS defaults to 3. Needs a Release
#   build of tools/RecoStream.Load.
set -euo pipefail
source "$(dirname "$0")/ab-common.sh"
usage="usage: tools/ab-recommend.sh A_DIR B_DIR [ROUNDS] [worker arguments...]"
a=${1:?$usage}
b=${2:?$usage}
rounds=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
extra=("$@")
cd "$(dirname "$0")/.."
ab_load_generator

pipeline_ticks() {  # CPU ticks of the worker's pipeline thread
  local t
  for t in /proc/"$1"/task/*; do
    [ "$(cat "$t/comm")" = recostream-pipe ] && awk '{print $14 + $15}' "$t/stat" && return
  done
  echo 0
}

run() {  # run BUILD_NAME DIR ROUND
  rm -rf "$work/store"
  local port=17494
  dotnet "$2/RecoStream.Worker.dll" --RecoStream:Storage:Path="$work/store" --RecoStream:Ingest:Tcp:Port=$port \
    --RecoStream:Metrics:Port=0 --RecoStream:Diagnostics:ProgressIntervalSeconds=0 --RecoStream:Storage:CheckpointEveryEvents=1000000 \
    --RecoStream:Learners:implicit:Rank=32 "${extra[@]}" </dev/null 2>"$work/worker.log" &
  local worker=$!
  ab_wait_for_port $port
  dotnet "$L" ingest --port $port --clients 4 --events 300000 --items 10000 >/dev/null
  local before after load
  before=$(pipeline_ticks $worker)
  load=$(dotnet "$L" recommend --port $port --clients 4 --requests 200000 --k 10 --pipeline 16)
  after=$(pipeline_ticks $worker)
  kill -TERM $worker; wait $worker
  echo "{\"build\":\"$1\",\"round\":$3,\"pipeline_cpu_seconds\":$(python3 -c "print(round(($after - $before) / $(getconf CLK_TCK), 2))"),${load#\{}"
}

ab_alternate "$rounds" "$a" "$b" "$work/runs.jsonl"
