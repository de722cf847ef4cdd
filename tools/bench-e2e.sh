#!/usr/bin/env bash
# End-to-end harness of the performance issue: a MovieLens-like stream of 1,000,000 events through the whole worker
# (parse, preprocessing, learners, checkpoints), by replay and over TCP with 4 producers. Reports events/s, CPU
# seconds, peak RSS and p50/p99 arrival-to-update latency, one JSON line per run. Over TCP: 4 producers with the default
# learners, then 1, 4 and 16 producers with biased MF alone.
# Usage: tools/bench-e2e.sh [u.data]
#   With MovieLens 100K's u.data (default ../shared/datasets/ml-100k/u.data; never committed), the stream is that file
#   ten times in time order, each copy with its own users (u<copy>-<id>) and one year later than the one before;
#   without it, a generated stream of 1,000,000 events (of which biased MF learns only the ratings).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/datasets/ml-100k/u.data}
dotnet build RecoStream.sln -c Release --nologo -v quiet -clp:ErrorsOnly >&2
W=src/RecoStream.Worker/bin/Release/net10.0/RecoStream.Worker.dll
L=tools/RecoStream.Load/bin/Release/net10.0/RecoStream.Load.dll
G=tools/RecoStream.EventGen/bin/Release/net10.0/RecoStream.EventGen.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -f "$data" ]; then
  echo "== stream: $data ten times with remapped users" >&2
  sort -s -n -k4,4 "$data" | awk '{ n++; u[n]=$1; i[n]=$2; r[n]=$3; t[n]=$4 }
    END { for (c = 0; c < 10; c++) for (k = 1; k <= n; k++)
      printf "{\"user\":\"u%d-%s\",\"item\":\"i%s\",\"type\":\"rating\",\"value\":%s,\"ts\":%d000}\n", c, u[k], i[k], r[k], t[k] + c * 31536000 }' \
    > "$work/events.jsonl"
else
  echo "== stream: 1,000,000 generated events ($data not found)" >&2
  dotnet "$G" --events 1000000 --users 10000 --items 2000 > "$work/events.jsonl"
fi
echo "== $(wc -l < "$work/events.jsonl") events, $(du -m "$work/events.jsonl" | cut -f1) MB" >&2

replay() {  # replay with the given extra arguments; prints the summary's performance fields
  rm -rf "$work/store"
  dotnet "$W" replay "$work/events.jsonl" --RecoStream:Storage:Path="$work/store" --RecoStream:Evaluation:RankingEvery=0 "$@" 2>"$work/replay.log" |
    python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps({"run":"replay "+" ".join(sys.argv[1:]),**{k:d[k] for k in ("events","seconds","events_per_sec","cpu_seconds","peak_rss_mib","latency_p50_ms","latency_p99_ms")}}))' "$@"
}

replay --learner mf
replay --learner linear
replay

tcp() {  # tcp CLIENTS NAME [worker arguments...]: the stream over TCP from CLIENTS producers; prints one JSON line
  local clients=$1 name=$2
  shift 2
  rm -rf "$work/store"
  local port=17474 http=19474
  dotnet "$W" --RecoStream:Storage:Path="$work/store" --RecoStream:Ingest:Tcp:Port=$port --RecoStream:Metrics:Port=$http \
    --RecoStream:Diagnostics:ProgressIntervalSeconds=0 "$@" </dev/null 2>"$work/worker.log" &
  local worker=$!
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  local ticks cpu_before cpu_after load rss quantiles
  ticks=$(getconf CLK_TCK)
  cpu_before=$(awk '{print $14 + $15}' /proc/$worker/stat)
  load=$(dotnet "$L" ingest --port $port --clients "$clients" --file "$work/events.jsonl")
  cpu_after=$(awk '{print $14 + $15}' /proc/$worker/stat)
  rss=$(awk '/VmHWM/ {print $2}' /proc/$worker/status)
  # p50 and p99 from the worker's latency histogram: the upper edge of the first bucket reaching the quantile.
  quantiles=$(curl -s "http://127.0.0.1:$http/metrics" | awk -F'[{}" ]+' '/^recostream_pipeline_latency_seconds_bucket/ { le[++n]=$3; c[n]=$NF }
    END { total=c[n]; for (k=1;k<=n;k++) { if (!p50 && c[k] >= 0.5*total) p50=le[k]; if (!p99 && c[k] >= 0.99*total) p99=le[k] }
          printf "\"latency_p50_ms_at_most\":%.3f,\"latency_p99_ms_at_most\":%.3f", p50*1000, p99*1000 }')
  kill -TERM $worker; wait $worker
  echo "{\"run\":\"tcp $clients producers, $name\",${load#\{} " | sed "s/}\s*$/,\"cpu_seconds\":$(( (cpu_after - cpu_before) / ticks )),\"peak_rss_mib\":$((rss / 1024)),$quantiles}/"
}

echo "== TCP, 4 producers, all default learners" >&2
tcp 4 "all default learners"
# One model, as Vowpal Wabbit's daemon runs one: biased MF alone, the other learners disabled.
echo "== TCP, 1 / 4 / 16 producers, biased MF alone" >&2
for clients in 1 4 16; do
  tcp $clients "biased MF alone" --RecoStream:Learners:implicit:Enabled=false --RecoStream:Learners:ftrl:Enabled=false \
    --RecoStream:Learners:linear:Enabled=false --RecoStream:Serving:Learner=mf
done
