/**
 * `tailgate bench`'s flags and help text.
 *
 * @module
 */
import { PROFILES } from "../client/mod.ts";
import { formatOptions, type OptionSpecs } from "./_args.ts";
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_IN_FLIGHT, DEFAULT_REQUESTS } from "./_bench_plan.ts";
import { REQUEST_OPTIONS } from "./_request.ts";
import { ARRIVAL_OPTIONS } from "./_arrival_flags.ts";
import { TARGETS_OPTIONS } from "./_targets.ts";
import { DEFAULT_CLIENT, PROFILE_MEANINGS } from "./_protocol.ts";

/** The flags of `bench`. */
export const OPTIONS: OptionSpecs = {
  requests: {
    type: "string",
    short: "n",
    arg: "N",
    help: `Requests to measure (default ${DEFAULT_REQUESTS} when neither -n nor -d is given)`,
  },
  duration: {
    type: "string",
    short: "d",
    arg: "DURATION",
    help: "Run for this long, e.g. 30s or 2m (with -n: whichever ends first)",
  },
  concurrency: {
    type: "string",
    short: "c",
    arg: "C",
    help: `Closed model: requests in flight at once (default ${DEFAULT_CONCURRENCY})`,
  },
  rate: {
    type: "string",
    short: "r",
    arg: "R",
    help: "Open model: send R requests per second on a fixed schedule (e.g. 100, 600/m)",
  },
  "max-in-flight": {
    type: "string",
    arg: "N",
    help:
      `Open model: most requests in flight; a due request then waits and counts as late (default ${DEFAULT_MAX_IN_FLIGHT})`,
  },
  "drop-after": {
    type: "string",
    arg: "DURATION",
    help:
      "Open model: drop (record, do not send) a request this far behind schedule (default: the --timeout)",
  },
  pacer: {
    type: "string",
    arg: "yield|timers",
    help:
      "Open model: yield (default) sleeps, then yields until each send is due: on time to ~10 us, but keeps a core busy; timers: ~1 ms late, a tenth of the CPU",
  },
  ...ARRIVAL_OPTIONS,
  warmup: {
    type: "string",
    arg: "N|DURATION",
    help: "Warm-up sent first and excluded from stats: a request count (50) or a time (5s)",
  },
  client: {
    type: "string",
    arg: "PROFILE",
    help: `Client profile, one of ${PROFILES.join(", ")} (default ${DEFAULT_CLIENT}; see Clients)`,
  },
  connections: {
    type: "string",
    arg: "N",
    help: "fast-h2: HTTP/2 connections (like h2load -c; default one per 100 in flight)",
  },
  streams: {
    type: "string",
    arg: "M",
    help: "fast-h2: concurrent streams per connection (like h2load -m; default in flight / N)",
  },
  ...REQUEST_OPTIONS,
  ...TARGETS_OPTIONS,
  insecure: {
    type: "boolean",
    help:
      "Expect TLS verification to be off (Deno needs --unsafely-ignore-certificate-errors for that)",
  },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "SLA rule, e.g. p95<=800ms, error_rate<=1%, throughput>=100/s (repeatable)",
  },
  confidence: {
    type: "string",
    arg: "LEVEL|off",
    default: "95%",
    help: "Confidence for percentile rules; off gates on the point value",
  },
  out: {
    type: "string",
    short: "o",
    arg: "FILE",
    help:
      "CSV output, a regular file (default results/bench-<timestamp>.csv); written beside it and renamed into place at the end",
  },
  "no-csv": { type: "boolean", help: "Do not write a CSV" },
  json: {
    type: "string",
    arg: "FILE|-",
    help:
      "Write summary, rules and config as JSON (secrets redacted) to FILE, or with - print it instead of the text (report, compare and merge take --json alone: they print)",
  },
  shard: {
    type: "string",
    arg: "I/N",
    help: "Run worker I (0-based) of N: this worker's share of -n, -c or --rate",
  },
  workers: {
    type: "string",
    arg: "N",
    help:
      "Run on N threads of this process (default 1), each the share of --shard i/N, merged into one CSV and one summary; see Threads above",
  },
  "run-id": { type: "string", arg: "ID", help: "Run id shared by the workers of one run" },
  "start-at": {
    type: "string",
    arg: "TIME",
    help: "Wait until this ISO 8601 time or epoch ms before starting (aligns sharded workers)",
  },
  quiet: { type: "boolean", short: "q", help: "No progress line; print only the final summary" },
};

/** Help text. */
export const HELP = `Usage: tailgate bench <url> [options]
       tailgate bench --targets FILE [--mix weighted] [options]

Load-tests one URL, or the targets of a file, and writes one CSV row per
request, failures included.

Targets (--targets FILE): many requests, in vegeta's http format or JSON
lines with names and weights (docs/workloads.md). The request sequence is
fixed before the run: round-robin by weight, or with --mix weighted a draw
by weight from --seed. The summary adds each target's requests, errors and
P50/P95/P99, the CSV a target column, and an SLA rule can judge one
target: --sla "infer:p95<=800ms".

Closed model (default): -c workers each send, wait, send the next, for -n
requests and/or -d time. A slow server slows the sending down, so stalls are
under-reported (coordinated omission).

Open model (--rate): requests go out on a fixed schedule whatever the
server does, and latency counts from each request's scheduled time (as
wrk2). When --max-in-flight is reached a due request waits (late); past
--drop-after it is recorded as "dropped" instead of sent. Nothing is skipped.

Arrivals (open model): --arrival poisson draws exponential gaps of mean
1/rate (independent users) from --seed, so the same seed gives the same
schedule. --stages "30s:10/s,2m:100/s,30s:0/s" ramps the rate linearly
from --rate (default 0/s, as k6's startRate) to each stage's target, as
k6's ramping-arrival-rate; the run lasts the stages' sum (-d is refused,
-n may end it earlier) and the progress line shows the target rate. Both
combine (a non-homogeneous Poisson process). Sharded, each worker draws its
own stream at R(t)/N: the merged run is one Poisson process at R(t).

Clients (--client): before the run a probe that sends no request finds the
protocol the server offers (ALPN on https://, HTTP/2 prior knowledge on
http://); one line says which protocol the run spoke and why, and the JSON
and the CSV's .meta.json record it.
${formatProfiles()}
The default is fast because it adds the least latency of its own. Against
a server that answers after exactly 50 ms (c=20, deno task bench:fidelity,
six runs on 2026-12-02), P50 / P99 minus hey's, in ms: fast -0.2..0.0 /
-1.5..+1.8; h1 +0.6..+0.9 / +4.2..+9.9; baseline +0.6..+1.2 / +2.3..+7.6;
a bare fetch loop, the fetch profiles' floor, +0.5..+1.0 / +3.8..+6.3; fresh
adds a handshake per request by design. Details in docs/performance.md.
On a server that speaks only HTTP/2 the default becomes optimized, and
says so.

Habits of other tools: -z 10s is a duration (as in hey and oha); -d takes a
duration, never a body (--body); -q is --quiet (a rate is --rate); -o takes
a file path, never a format (the output is always CSV).

Threads: --workers N runs N Deno Workers, each with its own client and
event loop (no new permission). It helps only when the client is the limit:
the server under test runs elsewhere (not on this machine's cores) and one
tailgate thread is CPU-bound (top shows it near 100%). On a machine that
also runs the server, or with fewer cores than N + the server's, more
workers only add CPU per request. Ids, the worker column and the merged
percentiles are those of N --shard processes merged.

Permissions: deno task bench grants network to any host, reading . and
writing results/. With deno run, bench checks before sending anything and
names the missing flag, e.g. --allow-net=api.example.com:443.

Ctrl-C (or SIGTERM) stops sending, waits for requests in flight up to the
timeout (Ctrl-C again: at once), writes the CSV and a summary marked
PARTIAL, and exits 130.

Options:
${formatOptions(OPTIONS)}

SLA rules: p95<=800ms  p99<1.5s  p99.9<=2s  mean<300ms  max<5s
           error_rate<=1%  throughput>=100/s
Phase rules (a percentile of one phase, over the requests that have it):
           ttfb.p95<=300ms  first_body.p95<=500ms (alias ttft)
           connect.p99<=50ms  tls.p99<=80ms
With --confidence 95% (default) a percentile rule passes only when its 95%
upper confidence bound meets the limit, fails when the lower bound breaks
it, and is otherwise inconclusive (not enough data to tell; also a phase no
request has, e.g. tls on http://).

Secrets: Authorization, Proxy-Authorization, Cookie, X-Api-Key, any header
whose name contains token/secret/password/api-key/auth/session, and every
--secret-header are redacted in the JSON, logs and errors (the CSV holds no
headers). URL passwords, key/token query parameters and the #fragment are
redacted too; a fragment is never sent, so it is dropped from the request.

Inputs are bounded: --body @FILE and --ca-cert take a regular file only (not
a device or FIFO), the body at most --max-body (64 MiB unless raised, up to
1 GiB), the CA bundle at most 1 MiB; checked from the file's size before
any byte is read. Header values are ASCII.

Exit codes: 0 all SLA rules pass, 1 an SLA rule failed, 2 usage or input error,
3 inconclusive (a rule could not be decided, none failed), 4 the run itself
failed (nothing measured, or no request succeeded), 130 interrupted.`;

function formatProfiles(): string {
  const w = Math.max(...PROFILES.map((p) => p.length)) + 2;
  return PROFILES.map((p) => `  ${p.padEnd(w)}${PROFILE_MEANINGS[p] ?? ""}`).join("\n");
}
