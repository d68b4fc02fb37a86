#!/bin/sh
# What the per-request phases cost: the `fast` profile run through the CLI
# (`tailgate bench URL --client fast -c 20 -n N`, CSV on) against nginx on
# 127.0.0.1, alternating a BEFORE tree (default /work/main) and this tree, in
# PAIRS rounds (default 10; the order flips each pair). Each run's client
# CPU (user + sys, from /usr/bin/time) is divided by its requests: CPU µs per
# request. Prints every run, then the medians and the median of the per-pair
# ratios (after / before). Bounded: PAIRS * 2 runs of N requests, each under
# a 120 s timeout.
#
#   sh bench/phase_cost.sh [BEFORE_DIR] [PAIRS] [N]
#
# IN_PROCESS=1 (or IN_PROCESS=warm) measures instead only the code the phases
# changed (client, runner, CSV writer) from both trees in one process
# (bench/_phase_cost_ab.ts; `warm` runs each tree's warm-up first).
set -eu
cd "$(dirname "$0")/.."
BEFORE=${1:-/work/main}
PAIRS=${2:-10}
N=${3:-100000}
for tool in nginx deno /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "phase_cost: $tool is not installed" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/tailgate-phase-cost-XXXXXX)
port=$((20000 + $$ % 20000))
sed -e "s|{{PREFIX}}|$tmp|g" -e "s|{{H1_PORT}}|$port|g" -e "s|{{H2_PORT}}|$((port + 1))|g" \
  -e "s|{{WORKERS}}|1|g" bench/nginx.conf >"$tmp/nginx.conf"
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
nginx_pid=$!
trap 'kill -QUIT $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
sleep 1
V8=--v8-flags=--invocation-count-for-maglev=100,--invocation-count-for-turbofan=500

# One run: prints "cpu_us_per_request" for tree $1.
one() {
  timeout 120 /usr/bin/time -f "%U %S" -o "$tmp/time" deno run --allow-net=127.0.0.1 \
    --allow-read=.,"$1","$tmp" --allow-write="$tmp" "$V8" "$1/main.ts" bench \
    "http://127.0.0.1:$port/" --client fast -c 20 -n "$N" --out "$tmp/out.csv" >/dev/null 2>&1
  rows=$(($(wc -l <"$tmp/out.csv") - 1))
  [ "$rows" -eq "$N" ] || { echo "phase_cost: $1 wrote $rows rows, not $N" >&2; exit 1; }
  awk -v n="$N" '{ printf "%.3f\n", ($1 + $2) * 1e6 / n }' "$tmp/time"
}

after_dir=$(pwd)
if [ -n "${IN_PROCESS:-}" ]; then
  warm=""
  [ "$IN_PROCESS" = warm ] && warm=--warm
  timeout 1800 deno run --allow-net=127.0.0.1 --allow-read="$BEFORE,$after_dir,/tmp" \
    --allow-write=/tmp --allow-env "$V8" bench/_phase_cost_ab.ts "$BEFORE" "$after_dir" \
    "http://127.0.0.1:$port/" "$PAIRS" "$N" $warm
  exit 0
fi
: >"$tmp/pairs"
i=1
while [ "$i" -le "$PAIRS" ]; do
  if [ $((i % 2)) -eq 1 ]; then
    b=$(one "$BEFORE"); a=$(one "$after_dir")
  else
    a=$(one "$after_dir"); b=$(one "$BEFORE")
  fi
  echo "pair $i: before $b us/req, after $a us/req"
  echo "$b $a" >>"$tmp/pairs"
  i=$((i + 1))
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mb=$(awk '{ print $1 }' "$tmp/pairs" | median)
ma=$(awk '{ print $2 }' "$tmp/pairs" | median)
mr=$(awk '{ printf "%.4f\n", $2 / $1 }' "$tmp/pairs" | median)
echo "median CPU per request: before $mb us, after $ma us; median pair ratio after/before $mr ($PAIRS pairs of $N requests, -c 20)"
