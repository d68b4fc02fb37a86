#!/bin/sh
# Re-measures every ladder number in docs/ladder.md (and docs/suite.md's ladder section):
#   sh bench/ladder_runs.sh            (from the repository root; 5 to 8 minutes)
# Each run writes results/ladder_<name>/ (CSVs, comparison_report.json, report.html) and its
# console output to results/ladder_<name>/console.txt; one line per run goes to stdout.
set -u
run() {
  name=$1
  shift
  mkdir -p "results/ladder_$name"
  start=$(date +%s)
  deno task run --ladder "$@" --out-dir "results/ladder_$name" >"results/ladder_$name/console.txt" 2>&1
  code=$?
  echo "ladder_$name: deno task run --ladder $* -> exit $code, $(($(date +%s) - start)) s wall, $(uptime | sed 's/.*load average: //') load"
}
run default
run same-region --scenario same-region
run cross-region --scenario cross-region
run cross-region-tls12 --scenario cross-region-tls12
run one-block --block 400
run n2000 -n 2000
# Against a URL: the mock served on its own, the ladder counting connections client-side.
deno run --allow-net=127.0.0.1,localhost main.ts serve --port 18437 >/dev/null 2>&1 &
sleep 3
run url http://127.0.0.1:18437/api
kill $! 2>/dev/null
