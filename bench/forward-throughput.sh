#!/usr/bin/env bash
# --forward TCP -> TCP throughput next to `socat TCP-LISTEN:...,fork TCP:...`, alternated in one run:
# 1 GiB from nc.openbsd through the forwarder into nc.openbsd writing to /dev/null. sockcat runs
# twice: as is (the native data path) and with an -o tap into /dev/null (the JavaScript relay).
# Run from the project root after `npm install`: bash bench/forward-throughput.sh [RUNS] [BYTES]
# Ports 52800-52809 on 127.0.0.1; every process is killed by its PID.
set -euo pipefail
RUNS=${1:-3}
BYTES=${2:-1G}
BIN="node dist/src/cli/bin.js"
SINK=52801
FRONT=52802
wait_port() { for _ in $(seq 1 200); do ss -ltn "sport = :$1" | grep -q LISTEN && return 0; sleep 0.05; done; return 1; }
one() { # $1 name, $2.. forwarder command
  local name=$1; shift
  nc.openbsd -l 127.0.0.1 "$SINK" > /dev/null & local sink=$!
  "$@" & local fwd=$!
  wait_port "$SINK"; wait_port "$FRONT"
  local start end
  start=$(date +%s.%N)
  head -c "$BYTES" /dev/zero | nc.openbsd -N 127.0.0.1 "$FRONT"
  wait "$sink" || true
  end=$(date +%s.%N)
  kill "$fwd" 2>/dev/null || true; wait "$fwd" 2>/dev/null || true
  echo "$name $(echo "$end - $start" | bc)"
}
for run in $(seq 1 "$RUNS"); do
  one sockcat $BIN -l -k --forward 127.0.0.1:$SINK 127.0.0.1 $FRONT
  one sockcat-tap $BIN -l -k -o /dev/null --forward 127.0.0.1:$SINK 127.0.0.1 $FRONT
  one socat socat TCP-LISTEN:$FRONT,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:$SINK
done | awk '{ t[$1] += $2; n[$1]++ } END {
  s = t["sockcat"] / n["sockcat"]; p = t["sockcat-tap"] / n["sockcat-tap"]; o = t["socat"] / n["socat"];
  printf "RESULT forward seconds_per_run sockcat=%.3f sockcat-tap=%.3f socat-fork=%.3f ratio_vs_socat=%.3f ratio_tap_vs_socat=%.3f (throughput; >1: sockcat faster)\n", s, p, o, o / s, o / p }'
