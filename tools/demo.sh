#!/usr/bin/env bash
# Quick start: builds RecoStream, generates a sample stream (with a few deliberately bad lines and some
# recommend requests at the end) and pipes it into the worker on its embedded default store.
# Progress and logs go to stderr; the recommendations the worker answers are printed on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

events=${EVENTS:-300000}
store=${STORE:-data/demo}

echo "== building (Release)" >&2
dotnet build RecoStream.sln -c Release --nologo -v quiet -clp:ErrorsOnly

echo "== streaming $events generated events into the worker (store: $store, metrics: http://127.0.0.1:9464/metrics)" >&2
dotnet tools/RecoStream.EventGen/bin/Release/net10.0/RecoStream.EventGen.dll \
    --events "$events" --users 5000 --items 2000 --bad-fraction 0.001 --recommend u42,u7,u1234,someone-new |
  dotnet src/RecoStream.Worker/bin/Release/net10.0/RecoStream.Worker.dll \
    --RecoStream:Storage:Path="$store" --RecoStream:Diagnostics:ProgressIntervalSeconds=1 --RecoStream:Diagnostics:RejectionLogsPerSecond=2 "$@"

echo "== done; run again to continue learning from the stored model, or ask it directly:" >&2
echo "   echo '{\"op\":\"recommend\",\"user\":\"u42\",\"k\":5}' | dotnet src/RecoStream.Worker/bin/Release/net10.0/RecoStream.Worker.dll --RecoStream:Storage:Path=$store" >&2
