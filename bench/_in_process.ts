/**
 * The in-process reference of `bench/peers.ts`: the closed-loop runner
 * driving a client profile, records summarized only (no CSV, no CLI), in a
 * fresh process that `peers.ts` starts with the V8 flags of `deno task
 * bench` and that warms the engine the way `bench` does. What the CLI adds
 * (argument parsing, progress, the CSV) is the difference between the two.
 * Prints one JSON line.
 *
 *   deno run --allow-net=127.0.0.1 bench/_in_process.ts URL MS PROFILE CONCURRENCY
 *
 * @module
 */
import { createClient } from "../lib/client/mod.ts";
import { runClosed } from "../lib/load/runner.ts";
import { warmUpFast } from "../lib/load/warm_up.ts";
import { collect } from "../lib/records/collect.ts";
import { SummaryBuilder } from "../lib/stats/summary.ts";

const [url, ms, profile, concurrency] = Deno.args;
if (url === undefined || ms === undefined || profile === undefined || concurrency === undefined) {
  console.error("usage: _in_process.ts URL MS PROFILE CONCURRENCY");
  Deno.exit(2);
}
const c = Number(concurrency);
const client = createClient(profile, { concurrency: c, timeoutMs: 10_000 });
if (client.name === "fast") await warmUpFast();
const req = { url, method: "GET", headers: [], body: null };
// The latency store sized as `bench` sizes it for a timed run.
const b = await collect(
  runClosed({ client, requestFor: () => req, concurrency: c, requests: Infinity, durationMs: +ms }),
  { builder: new SummaryBuilder(1 << 18) },
);
await client.close();
const s = b.summary();
console.log(JSON.stringify({
  rps: s.throughput_rps,
  p50_ms: s.p50_ms,
  p99_ms: s.p99_ms,
  requests: s.count,
  errors: s.errors,
}));
