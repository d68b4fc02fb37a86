#!/bin/sh
# The marginal CPU per request of the bare Deno loop and of `tailgate bench --client fast` (CLI,
# CSV on): each runs 2 s and 8 s against URL, and the figure is the extra user + system CPU of the
# long run over its extra requests, so every fixed cost (start-up, tier-up, the end of the run)
# cancels out. ROUNDS pairs per tool, the tools alternating (docs/performance.md, "Third pass").
#
#   sh bench/marginal_cpu.sh http://127.0.0.1:PORT/ [ROUNDS]
#
# Needs /usr/bin/time (package `time`). Run from the repository root.
set -eu
URL=$1
ROUNDS=${2:-3}
V8=--invocation-count-for-maglev=100,--invocation-count-for-turbofan=500,--max-semi-space-size=4
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
HOSTPORT=$(echo "$URL" | sed 's#^http://\([^/]*\).*#\1#')

run_bare() { # MS -> "requests user sys"
  /usr/bin/time -f "%U %S" -o "$T/t" deno run --allow-net="$HOSTPORT" --v8-flags=$V8 \
    bench/bare_loop.ts "$URL" 20 "$1" >"$T/o"
  echo "$(sed 's/.*"requests":\([0-9]*\).*/\1/' "$T/o") $(cat "$T/t")"
}
run_fast() {
  /usr/bin/time -f "%U %S" -o "$T/t" deno run --allow-net="$HOSTPORT" --allow-read=.,"$T" \
    --allow-write="$T" --v8-flags=$V8 main.ts bench "$URL" --client fast -c 20 -d "${1}ms" \
    --quiet --out "$T/run.csv" >/dev/null 2>&1
  echo "$(($(wc -l <"$T/run.csv") - 1)) $(cat "$T/t")"
}
i=1
while [ "$i" -le "$ROUNDS" ]; do
  for tool in bare fast; do
    short=$(run_$tool 2000)
    long=$(run_$tool 8000)
    echo "$tool $short $long" | awk '{ dr = $5 - $2; du = $6 - $3; ds = $7 - $4;
      printf "round %d %-4s marginal %.2f us/req (%.2f + %.2f) over %d requests; the 8 s run whole: %.2f us/req\n",
        '"$i"', $1, (du + ds) * 1e6 / dr, du * 1e6 / dr, ds * 1e6 / dr, dr, ($6 + $7) * 1e6 / $5 }'
  done
  i=$((i + 1))
done
