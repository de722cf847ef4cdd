#!/usr/bin/env bash
# Runs every test. On a fresh machine it first installs what the operations tests use: Debian's prometheus
# package (promtool and a real Prometheus server). Needs root (or sudo) only for that install.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  echo "== installing Debian's prometheus package (promtool, prometheus) for the operations tests" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

dotnet test RecoStream.sln "$@"
