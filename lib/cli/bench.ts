/**
 * `tailgate bench <url>`: load-test one URL, closed or open model, write a
 * CSV row per request (failures included) and gate on SLA rules.
 *
 * Everything the user typed is validated, and the output paths are checked,
 * before any file is created or any request is sent. The run itself is
 * `lib/load/bench_run.ts`.
 *
 * @module
 */
import { type Client, PROFILES } from "../client/mod.ts";
import { formatDuration } from "../duration.ts";
import { runBench } from "../load/bench_run.ts";
import { CsvWriteError, CsvWriter } from "../records/csv_writer.ts";
import { buildRunMeta, metaPath, type RunMeta } from "../records/run_meta.ts";
import type { Redactor } from "../redact.ts";
import { ProgressLine } from "../report/progress.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs, str } from "./_args.ts";
import {
  benchClient,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_REQUESTS,
  outputPaths,
  type Plan,
  planRun,
  runConfig,
} from "./_bench_plan.ts";
import { benchReport } from "./_bench_text.ts";
import { checkWritable, reason, refuseSidecarOverwrite, writeOutput } from "./_files.ts";
import { REQUEST_OPTIONS, requestFromFlags } from "./_request.ts";
import { stderrStream, useColor } from "./_output.ts";
import { installStopSignals } from "./_signals.ts";
import { UsageError } from "./_usage_error.ts";
import { translateHabits } from "./_habits.ts";
import { checkPermissions } from "./_permissions.ts";
import {
  decideProtocol,
  DEFAULT_CLIENT,
  PROFILE_MEANINGS,
  type ProtocolDecision,
} from "./_protocol.ts";
import { probeProtocol } from "../client/probe.ts";

const TASK_HINT = { task: "deno task bench" };

const STOP_MARGIN_MS = 1000;

const OPTIONS: OptionSpecs = {
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
    help: "CSV output (default results/bench-<timestamp>.csv)",
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

Load-tests one URL and writes one CSV row per request, failures included.

Closed model (default): -c workers each send, wait, send the next, for -n
requests and/or -d time. A slow server slows the sending down, so stalls are
under-reported (coordinated omission).

Open model (--rate): requests go out on a fixed schedule whatever the
server does, and latency counts from each request's scheduled time (as
wrk2). When --max-in-flight is reached a due request waits (late); past
--drop-after it is recorded as "dropped" instead of sent. Nothing is skipped.

Clients (--client): before the run a probe that sends no request finds the
protocol the server offers (ALPN on https://, HTTP/2 prior knowledge on
http://); one line says which protocol the run spoke and why, and the JSON
and the CSV's .meta.json record it.
${formatProfiles()}
The default is fast because it adds the least latency of its own: against
a server with a known fixed delay the fetch-based profiles read higher at
P50 and more at P99, while fast reads as hey and wrk do (deno task
bench:fidelity and bench:peers; numbers in docs/performance.md). On a
server that speaks only HTTP/2 the default becomes optimized, and says so.

Habits of other tools: -z 10s is a duration (as in hey and oha); -d takes a
duration, never a body (--body); -q is --quiet (a rate is --rate); -o takes
a file path, never a format (the output is always CSV).

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
With --confidence 95% (default) a percentile rule passes only when its 95%
upper confidence bound meets the limit, fails when the lower bound breaks
it, and is otherwise inconclusive (not enough data to tell).

Secrets: Authorization, Proxy-Authorization, Cookie, X-Api-Key, any header
whose name contains token/secret/password/api-key/auth/session, and every
--secret-header are redacted in the JSON, logs and errors (the CSV holds no
headers). URL passwords and key/token query parameters are redacted too.

Exit codes: 0 all SLA rules pass, 1 an SLA rule failed, 2 usage or input error,
3 inconclusive (a rule could not be decided, none failed), 4 the run itself
failed (nothing measured, or no request succeeded), 130 interrupted.`;

function formatProfiles(): string {
  const w = Math.max(...PROFILES.map((p) => p.length)) + 2;
  return PROFILES.map((p) => `  ${p.padEnd(w)}${PROFILE_MEANINGS[p] ?? ""}`).join("\n");
}

/** Runs the command; returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "bench",
    translateHabits(args, { durationFlag: true }),
    OPTIONS,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError("Missing URL: tailgate bench http://127.0.0.1:8080/api [options]");
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `bench takes one URL, got ${positionals.length} arguments ("${
        positionals[1]
      }"…): quote values that contain spaces`,
    );
  }
  // 1. Everything the user typed.
  const explicitClient = str(values, "client") !== undefined;
  if (!explicitClient) values.client = DEFAULT_CLIENT;
  const plan0 = planRun(values);
  const { request, redactor, caCerts } = await requestFromFlags(positionals[0]!, values, TASK_HINT);
  // 2. Output paths, before any file is created.
  const { outPath, jsonPath } = outputPaths(values);
  await refuseSidecarOverwrite(jsonPath, outPath);
  const write: [string, string][] = [];
  if (jsonPath !== null && jsonPath !== "-") write.push([jsonPath, "--json"]);
  if (outPath !== null) write.push([outPath, "--out"]);
  await checkPermissions({ net: [request.url], write }, TASK_HINT);
  if (jsonPath !== null && jsonPath !== "-") await checkWritable(jsonPath, "--json");
  if (outPath !== null) {
    await checkWritable(outPath, "--out");
    await checkPermissions({ write: [[metaPath(outPath), "the sidecar of --out"]] }, TASK_HINT);
  }
  // 3. The protocol, decided once by a probe that sends no request.
  const probe = await probeProtocol(request.url, {
    timeoutMs: Math.min(plan0.timeoutMs, 2000),
    ...(caCerts.length ? { caCerts } : {}),
  });
  const decision = decideProtocol(
    plan0.profile,
    explicitClient,
    new URL(request.url).protocol === "https:" ? "https:" : "http:",
    probe,
    plan0.model === "open" ? plan0.maxInFlight : plan0.concurrency,
  );
  if (decision.warning) console.error(`tailgate bench: ${redactor.text(decision.warning)}`);
  const plan: Plan = { ...plan0, profile: decision.client, caCerts, outPath, jsonPath };
  // 3. The client (a bad CA certificate fails here, still before any file).
  const client = benchClient(plan, decision.protocol, redactor);
  const config = await runConfig(plan, request, redactor, values, decision.record);
  let meta: RunMeta | null = null;
  if (outPath !== null) meta = await buildRunMeta(config, plan.shard, plan.runId);
  return await execute(plan, request, client, redactor, config, meta, decision);
}

async function execute(
  plan: Plan,
  request: Parameters<typeof runBench>[0]["request"],
  client: Client,
  redactor: Redactor,
  config: Record<string, unknown>,
  meta: RunMeta | null,
  decision: ProtocolDecision,
): Promise<number> {
  const warmupCount = plan.warmup && "count" in plan.warmup ? plan.warmup.count : 0;
  const warmupMs = plan.warmup && "durationMs" in plan.warmup ? plan.warmup.durationMs : 0;
  const progress = new ProgressLine({
    stream: stderrStream(),
    enabled: !plan.quiet,
    total: plan.requests === Infinity ? null : plan.requests + warmupCount,
    durationMs: plan.durationMs === undefined ? null : plan.durationMs + warmupMs,
  });
  const signals = installStopSignals({
    graceMs: plan.timeoutMs + STOP_MARGIN_MS,
    onStop: (sig) => {
      if (progress.enabled) progress.stopping();
      else if (!plan.quiet) {
        console.error(
          `tailgate bench: ${sig}: stopping; waiting up to ${
            formatDuration(plan.timeoutMs)
          } for requests in flight (again to abort them)`,
        );
      }
    },
  });
  const outPath = plan.outPath;
  const run = await runBench({
    plan,
    client,
    request,
    signal: signals.stop,
    hardStop: signals.hard,
    openCsv: outPath === null ? null : async () => {
      try {
        // A sidecar left from an earlier run must not describe this CSV.
        await Deno.remove(metaPath(outPath)).catch(() => {});
        return await CsvWriter.create(outPath);
      } catch (err) {
        if (err instanceof CsvWriteError) throw err; // opened, but the disk refused: exit 4
        throw new UsageError(`Cannot write --out ${outPath}: ${reason(err)}; choose another path`);
      }
    },
    meta,
    onStart: () => progress.start(),
    onRecord: (r) => progress.record(r),
    onEnd: () => {
      progress.stop();
      signals.dispose();
    },
  });
  const { text, code, json } = benchReport({
    plan,
    run,
    title: `${plan.profile} → ${request.method} ${redactor.url(request.url)}`,
    interrupted: signals.interrupted,
    interruptedBy: signals.received,
    meta,
    config,
    style: { color: useColor() },
  });
  const doc = { ...json, protocol: decision.record };
  if (plan.jsonPath === "-") console.log(redactor.text(JSON.stringify(doc, null, 2)));
  else {
    const [title, ...rest] = text.split("\n");
    console.log(redactor.text([title, decision.line, ...rest].join("\n")));
  }
  if (plan.jsonPath !== null && plan.jsonPath !== "-") {
    await writeOutput(plan.jsonPath, redactor.text(JSON.stringify(doc, null, 2)) + "\n", "--json");
  }
  return code;
}
