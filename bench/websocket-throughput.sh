#!/usr/bin/env bash
# WebSocket binary throughput through the CLI (`head -c 1G /dev/zero | sockcat ws://…` into
# `sockcat -l --recv-only --websocket … > /dev/null`: a WebSocket has no half-close, so a listener
# whose stdin ends would send Close) next to the minimal ws program (bench/ws-minimal.mjs),
# alternated in one run. From the project root: bash bench/websocket-throughput.sh [RUNS] [BYTES]
# Port 52810 on 127.0.0.1; every process is killed by its PID.
set -euo pipefail
RUNS=${1:-3}
BYTES=${2:-1G}
PORT=52810
wait_port() { for _ in $(seq 1 200); do ss -ltn "sport = :$1" | grep -q LISTEN && return 0; sleep 0.05; done; return 1; }
one() { # $1 name, $2 listen command, $3 connect command (both through sh -c)
  sh -c "$2" > /dev/null & local server=$!
  wait_port "$PORT"
  local start end
  start=$(date +%s.%N)
  head -c "$BYTES" /dev/zero | sh -c "$3"
  wait "$server" || true
  end=$(date +%s.%N)
  echo "$1 $(echo "$end - $start" | bc)"
}
for run in $(seq 1 "$RUNS"); do
  one sockcat "exec node dist/src/cli/bin.js -l --recv-only --websocket 127.0.0.1 $PORT" "exec node dist/src/cli/bin.js ws://127.0.0.1:$PORT/"
  one ws-minimal "exec node bench/ws-minimal.mjs listen $PORT" "exec node bench/ws-minimal.mjs connect ws://127.0.0.1:$PORT/"
done | awk '{ t[$1] += $2; n[$1]++ } END {
  s = t["sockcat"] / n["sockcat"]; o = t["ws-minimal"] / n["ws-minimal"];
  printf "RESULT websocket seconds_per_run sockcat=%.3f ws-minimal=%.3f ratio_vs_ws-minimal=%.3f (throughput; >1: sockcat faster)\n", s, o, o / s }'
