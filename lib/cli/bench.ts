/**
 * `tailgate bench <url>`: load-test one URL, closed or open model, write a
 * CSV row per request (failures included) and gate on SLA rules.
 *
 * Everything the user typed is validated, and the output paths are checked,
 * before any file is created or any request is sent.
 *
 * @module
 */
import { createClient, type HttpRequest, PROFILES } from "../client/mod.ts";
import { now } from "../clock.ts";
import { collect } from "../records/collect.ts";
import { CsvWriter } from "../records/csv_writer.ts";
import { formatDuration } from "../duration.ts";
import { ProgressLine } from "../report/progress.ts";
import { Redactor, redactUrl } from "../redact.ts";
import { formatSummary } from "../report/text.ts";
import { buildRunMeta, type RunMeta, writeRunMeta } from "../records/run_meta.ts";
import { newOpenLoopCounters, runClosed, runOpen } from "../load/runner.ts";
import {
  parseShard,
  type Shard,
  shardRequestId,
  shardSchedule,
  shardShare,
} from "../load/shard.ts";
import { evaluateSla, type SlaRule } from "../stats/sla.ts";
import { SummaryBuilder } from "../stats/summary.ts";
import {
  countOrDuration,
  durationOption,
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  rateOption,
  str,
  strs,
  type Values,
} from "./_args.ts";
import { formatOpenLine, formatRuleTable } from "./_bench_text.ts";
import { useColor } from "./_output.ts";
import { installStopSignals } from "./_signals.ts";
import { UsageError } from "./_usage_error.ts";
import { confidenceOption } from "./_verdicts.ts";
import { parseRules } from "./report.ts";

const DEFAULT_REQUESTS = 200;
const DEFAULT_CONCURRENCY = 20;
const DEFAULT_MAX_IN_FLIGHT = 1000;
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
    default: "optimized",
    help: `Client profile: ${PROFILES.join(", ")}`,
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
  method: {
    type: "string",
    short: "m",
    arg: "METHOD",
    help: "HTTP method (default GET, or POST with --body)",
  },
  header: {
    type: "string",
    short: "H",
    multiple: true,
    arg: '"Name: value"',
    help: "Request header (repeatable)",
  },
  "secret-header": {
    type: "string",
    multiple: true,
    arg: '"Name: value"',
    help: "Request header whose value is never written anywhere (repeatable)",
  },
  body: {
    type: "string",
    arg: "TEXT|@FILE",
    help: "Request body, or @path to read it from a file",
  },
  "content-type": {
    type: "string",
    arg: "TYPE",
    help: "Content-Type of the body (default application/json with a body)",
  },
  timeout: { type: "string", arg: "DURATION", default: "10s", help: "Per-request timeout" },
  "ca-cert": { type: "string", arg: "FILE.pem", help: "Extra CA certificate (PEM) to trust" },
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
  json: { type: "string", arg: "FILE", help: "Write summary, rules and config (secrets redacted)" },
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

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Names a malformed header in an error without its value: only a leading
 * header-name token followed by a separator is shown, else nothing.
 */
function headerHint(h: string, flag: string): string {
  const t = h.trim();
  const name = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(t)?.[0] ?? "";
  if (name === "" || name === t || !/^[\s:]/.test(t.slice(name.length))) return flag;
  return `${flag} "${name.length > 40 ? `${name.slice(0, 40)}…` : name} …"`;
}

/** Splits and checks one `Name: value` header. */
function parseHeader(h: string, flag: string): [string, string] {
  const i = h.indexOf(":");
  const name = i > 0 ? h.slice(0, i).trim() : "";
  if (!TOKEN.test(name)) {
    throw new UsageError(
      `Malformed ${
        headerHint(h, flag)
      }: write it as "Name: value", e.g. -H "Accept: application/json"`,
    );
  }
  const value = h.slice(i + 1).trim();
  if (/[\r\n\0]/.test(value)) {
    throw new UsageError(`Malformed ${flag} "${name}": the value contains a line break`);
  }
  return [name, value];
}

function reason(err: unknown, mode: "read" | "write" = "write"): string {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return mode === "write"
      ? "no write permission (the deno tasks grant results/ only; or pass --allow-write)"
      : "no read permission (the deno tasks grant the project directory only; or pass --allow-read)";
  }
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return (err as Error).message.split("\n")[0] ?? String(err);
}

/** Builds the request, validating URL, method, headers and body. */
export async function buildRequest(
  url: string,
  values: {
    method?: string | undefined;
    headers: string[];
    secretHeaders?: string[];
    body?: string | undefined;
    contentType?: string | undefined;
  },
): Promise<HttpRequest> {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url.trim())) {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": it has no scheme; write it in full, e.g. http://${
        redactUrl(url).replace(/^\/+/, "") || "127.0.0.1:8080/api"
      }`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": give a full URL such as http://127.0.0.1:8080/api`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(
      `Unsupported scheme "${parsed.protocol}" in the URL: use http:// or https://`,
    );
  }
  if (parsed.hostname === "") {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": it has no host; e.g. http://127.0.0.1:8080/api`,
    );
  }
  const headers: [string, string][] = [
    ...values.headers.map((h) => parseHeader(h, "--header")),
    ...(values.secretHeaders ?? []).map((h) => parseHeader(h, "--secret-header")),
  ];
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (values.body !== undefined) {
    if (values.body.startsWith("@")) {
      const file = values.body.slice(1);
      if (file === "") {
        throw new UsageError("Missing file name after --body @: e.g. --body @req.json");
      }
      try {
        body = await Deno.readFile(file);
      } catch (err) {
        throw new UsageError(
          `Cannot read body file "${file}": ${reason(err, "read")}; check the path after @`,
        );
      }
    } else {
      body = new TextEncoder().encode(values.body);
    }
  }
  if (values.contentType !== undefined) {
    if (
      !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/.test(
        values.contentType,
      )
    ) {
      throw new UsageError(
        `Invalid --content-type "${values.contentType}": use a media type such as application/json`,
      );
    }
    headers.push(["content-type", values.contentType]);
  } else if (body && !headers.some(([n]) => n.toLowerCase() === "content-type")) {
    headers.push(["content-type", "application/json"]);
  }
  const method = (values.method ?? (body ? "POST" : "GET")).toUpperCase();
  if (!TOKEN.test(method)) {
    throw new UsageError(`Invalid --method "${values.method}": use GET, POST, PUT, PATCH, DELETE…`);
  }
  return { url: parsed.href, method, headers, body };
}

/**
 * Checks that `path` can be written without leaving a file behind: an
 * existing file is opened (not truncated), a new one is created and removed.
 */
async function checkWritable(path: string, flag: string): Promise<void> {
  let existed = true;
  try {
    const st = await Deno.stat(path);
    if (st.isDirectory) {
      throw new UsageError(`Cannot write ${flag} ${path}: it is a directory; give a file path`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
    }
    existed = false;
  }
  try {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    if (dir && !existed) await Deno.mkdir(dir, { recursive: true });
    const f = await Deno.open(path, { write: true, create: true });
    f.close();
    if (!existed) await Deno.remove(path);
  } catch (err) {
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
}

/** Parses `--start-at` (ISO 8601 or epoch ms) into epoch ms within the next 10 minutes. */
function startAtOption(text: string): number {
  const t = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) {
    throw new UsageError(
      `Invalid value for --start-at: "${text}"; use an ISO 8601 time (2026-01-01T12:00:00Z) or epoch ms`,
    );
  }
  const wait = t - Date.now();
  if (wait > 600_000) {
    throw new UsageError(`Invalid value for --start-at: "${text}" is more than 10 minutes away`);
  }
  return t;
}

/** Everything a run needs, validated. */
interface Plan {
  model: "closed" | "open";
  requests: number;
  durationMs: number | undefined;
  concurrency: number;
  rate: number;
  maxInFlight: number;
  dropAfterMs: number;
  warmup: { count: number } | { durationMs: number } | null;
  timeoutMs: number;
  profile: string;
  /** fast-h2 only: connections and streams per connection. */
  connections: number | undefined;
  streams: number | undefined;
  rules: SlaRule[];
  confidence: number | "off";
  shard: Shard | null;
  runId: string | undefined;
  startAt: number | null;
  caCerts: string[];
  insecure: boolean;
  quiet: boolean;
  outPath: string | null;
  jsonPath: string | null;
}

function planRun(values: Values): Omit<Plan, "caCerts" | "outPath" | "jsonPath"> {
  const given = (name: string) => str(values, name) !== undefined;
  const timeoutMs = durationOption("--timeout", str(values, "timeout")!);
  const durationMs = given("duration")
    ? durationOption("--duration", str(values, "duration")!)
    : undefined;
  let requests = given("requests")
    ? positiveInt("--requests", str(values, "requests")!)
    : durationMs === undefined
    ? DEFAULT_REQUESTS
    : Infinity;
  const open = given("rate");
  if (open && given("concurrency")) {
    throw new UsageError(
      "Cannot combine --rate with -c/--concurrency: the open model sends on a schedule; bound it with --max-in-flight N instead",
    );
  }
  if (!open) {
    for (const f of ["max-in-flight", "drop-after"]) {
      if (given(f)) {
        throw new UsageError(`--${f} applies to the open model only: add --rate R, or drop --${f}`);
      }
    }
  }
  if (open && !given("requests") && durationMs === undefined) {
    throw new UsageError(
      "--rate needs an end: add --duration (e.g. -d 30s) or a request count (e.g. -n 1000)",
    );
  }
  let rate = open ? rateOption("--rate", str(values, "rate")!) : 0;
  let concurrency = given("concurrency")
    ? positiveInt("--concurrency", str(values, "concurrency")!)
    : DEFAULT_CONCURRENCY;
  const maxInFlight = given("max-in-flight")
    ? positiveInt("--max-in-flight", str(values, "max-in-flight")!)
    : DEFAULT_MAX_IN_FLIGHT;
  const dropAfterMs = given("drop-after")
    ? durationOption("--drop-after", str(values, "drop-after")!)
    : timeoutMs;
  const warmup = given("warmup") ? countOrDuration("--warmup", str(values, "warmup")!) : null;
  const profile = str(values, "client")!;
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw new UsageError(
      `Unknown --client profile "${profile}": use one of ${PROFILES.join(", ")}`,
    );
  }
  for (const f of ["connections", "streams"]) {
    if (given(f) && profile !== "fast-h2") {
      throw new UsageError(`--${f} applies to --client fast-h2 only: add it, or drop --${f}`);
    }
  }
  const connections = given("connections")
    ? positiveInt("--connections", str(values, "connections")!)
    : undefined;
  const streams = given("streams") ? positiveInt("--streams", str(values, "streams")!) : undefined;
  const rules = parseRules(strs(values, "sla"));
  const confidence = confidenceOption(str(values, "confidence")!);
  let shard: Shard | null = null;
  if (given("shard")) {
    try {
      shard = parseShard(str(values, "shard")!);
    } catch (err) {
      throw new UsageError(`${(err as Error).message}`);
    }
    const { index, count } = shard;
    if (requests !== Infinity) {
      requests = shardShare(requests, index, count);
      if (requests === 0) {
        throw new UsageError(
          `--shard ${index}/${count} gets no requests: -n must be at least the worker count ${count}`,
        );
      }
    }
    if (open) rate = shardSchedule(rate, index, count).rate;
    else {
      concurrency = shardShare(concurrency, index, count);
      if (concurrency === 0) {
        throw new UsageError(
          `--shard ${index}/${count} gets no concurrency: -c must be at least the worker count ${count}`,
        );
      }
    }
  }
  const runId = str(values, "run-id");
  if (runId !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(runId)) {
    throw new UsageError(
      `Invalid --run-id "${runId}": use 1 to 128 letters, digits, '.', '_', ':' or '-'`,
    );
  }
  return {
    model: open ? "open" : "closed",
    requests,
    durationMs,
    concurrency,
    rate,
    maxInFlight,
    dropAfterMs,
    warmup,
    timeoutMs,
    profile,
    connections,
    streams,
    rules,
    confidence,
    shard,
    runId,
    startAt: given("start-at") ? startAtOption(str(values, "start-at")!) : null,
    insecure: values.insecure === true,
    quiet: values.quiet === true,
  };
}

async function readCaCert(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (err) {
    throw new UsageError(`Cannot read --ca-cert ${path}: ${reason(err, "read")}; give a PEM file`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(
      `Invalid --ca-cert ${path}: no "-----BEGIN CERTIFICATE-----" block; give a PEM certificate`,
    );
  }
  return pem;
}

function sleepUntil(t: number, signal: AbortSignal): Promise<void> {
  const ms = t - Date.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** Runs the command; returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("bench", args, OPTIONS);
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
  const plan0 = planRun(values);
  const request = await buildRequest(positionals[0]!, {
    method: str(values, "method"),
    headers: strs(values, "header"),
    secretHeaders: strs(values, "secret-header"),
    body: str(values, "body"),
    contentType: str(values, "content-type"),
  });
  const secretNames = new Set(
    strs(values, "secret-header").map((h) => parseHeader(h, "--secret-header")[0].toLowerCase()),
  );
  const redactor = Redactor.forRequest(request.url, request.headers, secretNames);
  const caPath = str(values, "ca-cert");
  const caCerts = caPath === undefined ? [] : [await readCaCert(caPath)];
  // 2. Output paths, before any file is created.
  const outPath = values["no-csv"] ? null : str(values, "out") ??
    `results/bench-${new Date().toISOString().replace(/[:.]/g, "-")}.csv`;
  if (values["no-csv"] && str(values, "out") !== undefined) {
    throw new UsageError("Cannot combine --out with --no-csv: keep one of them");
  }
  const jsonPath = str(values, "json") ?? null;
  if (outPath !== null && outPath === jsonPath) {
    throw new UsageError(`--out and --json both point at ${outPath}: give them different files`);
  }
  if (jsonPath !== null) await checkWritable(jsonPath, "--json");
  if (outPath !== null) await checkWritable(outPath, "--out");
  const plan: Plan = { ...plan0, caCerts, outPath, jsonPath };
  // 3. The client (a bad CA certificate fails here, still before any file).
  let client;
  try {
    const clientOptions: Parameters<typeof createClient>[1] = {
      concurrency: plan.model === "open" ? plan.maxInFlight : plan.concurrency,
      timeoutMs: plan.timeoutMs,
      insecure: plan.insecure,
    };
    if (caCerts.length) clientOptions.caCerts = caCerts;
    if (plan.connections !== undefined) clientOptions.connections = plan.connections;
    if (plan.streams !== undefined) clientOptions.streams = plan.streams;
    client = createClient(plan.profile, clientOptions);
  } catch (err) {
    throw new UsageError(
      `Cannot set up the ${plan.profile} client: ${
        redactor.text(reason(err))
      }; check --ca-cert and --client`,
    );
  }
  const config = runConfig(plan, request, redactor, values);
  let meta: RunMeta | null = null;
  if (outPath !== null) meta = await buildRunMeta(config, plan.shard, plan.runId);
  return await execute(plan, request, client, redactor, config, meta);
}

/** The run-wide configuration (totals, not this shard's share), secrets redacted. */
function runConfig(
  plan: Plan,
  request: HttpRequest,
  redactor: Redactor,
  values: Values,
): Record<string, unknown> {
  const num = (name: string) => str(values, name);
  return {
    url: redactor.url(request.url),
    method: request.method,
    headers: redactor.headers(request.headers),
    body_bytes: request.body?.byteLength ?? 0,
    client: plan.profile,
    model: plan.model,
    requests: num("requests") === undefined && plan.durationMs !== undefined
      ? null
      : Number(num("requests") ?? DEFAULT_REQUESTS),
    duration_ms: plan.durationMs ?? null,
    concurrency: plan.model === "closed" ? Number(num("concurrency") ?? DEFAULT_CONCURRENCY) : null,
    rate: plan.model === "open" ? rateOption("--rate", num("rate")!) : null,
    max_in_flight: plan.model === "open" ? plan.maxInFlight : null,
    drop_after_ms: plan.model === "open" ? plan.dropAfterMs : null,
    warmup: plan.warmup,
    timeout_ms: plan.timeoutMs,
    ca_cert: plan.caCerts.length > 0,
    insecure: plan.insecure,
    sla: plan.rules.map((r) => r.text),
    confidence: plan.confidence,
    shard: plan.shard ? `${plan.shard.index}/${plan.shard.count}` : null,
    run_id: plan.runId ?? null,
    out: plan.outPath,
    json: plan.jsonPath,
  };
}

async function execute(
  plan: Plan,
  request: HttpRequest,
  client: ReturnType<typeof createClient>,
  redactor: Redactor,
  config: Record<string, unknown>,
  meta: RunMeta | null,
): Promise<number> {
  const shard = plan.shard;
  const worker = shard?.index ?? 0;
  const idFor = shard ? (local: number) => shardRequestId(local, shard.index, shard.count) : (
    local: number,
  ) => local;
  const warmupCount = plan.warmup && "count" in plan.warmup ? plan.warmup.count : 0;
  const warmupMs = plan.warmup && "durationMs" in plan.warmup ? plan.warmup.durationMs : 0;
  const counters = newOpenLoopCounters();
  const uncorrected = new SummaryBuilder();
  const total = plan.requests === Infinity ? null : plan.requests + warmupCount;
  const progress = new ProgressLine({
    enabled: !plan.quiet,
    total,
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
  let csv: CsvWriter | null = null;
  let builder;
  const startedAt = Date.now();
  try {
    // The open model waits inside its schedule (exact alignment across workers).
    if (plan.startAt !== null && plan.model === "closed") {
      await sleepUntil(plan.startAt, signals.stop);
    }
    if (plan.outPath !== null) {
      try {
        csv = await CsvWriter.create(plan.outPath);
      } catch (err) {
        throw new UsageError(
          `Cannot write --out ${plan.outPath}: ${reason(err)}; choose another path`,
        );
      }
    }
    const common = {
      client,
      requestFor: () => request,
      idFor,
      worker,
      signal: signals.stop,
      hardStop: signals.hard,
    };
    const warm = warmupMs > 0 ? { warmupMs } : { warmup: warmupCount };
    const records = plan.model === "open"
      ? runOpen({
        ...common,
        ...warm,
        rate: plan.rate,
        maxInFlight: plan.maxInFlight,
        requests: plan.requests === Infinity ? Infinity : plan.requests + warmupCount,
        ...(plan.durationMs === undefined ? {} : { durationMs: plan.durationMs }),
        dropAfterMs: plan.dropAfterMs,
        offsetMs: shard ? shardSchedule(Number(config.rate), shard.index, shard.count).offsetMs : 0,
        counters,
        ...(plan.startAt === null ? {} : { startMs: Math.max(plan.startAt, now()) }),
      })
      : runClosed({
        ...common,
        ...warm,
        concurrency: plan.concurrency,
        requests: plan.requests === Infinity ? Infinity : plan.requests + warmupCount,
        ...(plan.durationMs === undefined ? {} : { durationMs: plan.durationMs }),
      });
    progress.start();
    builder = await collect(records, {
      csv,
      // Sized once when the count is known: no doubling copy on huge runs.
      builder: new SummaryBuilder(total ?? 1024),
      onRecord: (r) => {
        progress.record(r);
        // What a tool timing from the actual send would report (coordinated omission).
        if (plan.model === "open") {
          const lag = r.startedMs - r.scheduledMs;
          uncorrected.add({ ...r, scheduledMs: r.startedMs, latencyMs: r.latencyMs - lag });
        }
      },
    });
  } finally {
    progress.stop();
    signals.dispose();
    await csv?.close();
    await client.close();
  }
  if (csv !== null && meta !== null) await writeRunMeta(csv.path, meta);

  const interrupted = signals.interrupted;
  const summary = builder.summary();
  const sorted = builder.sortedLatencies();
  const results = plan.rules.map((r) => evaluateSla(r, summary, sorted, plan.confidence));
  const style = { color: useColor() };
  const where = `${plan.profile} → ${request.method} ${redactor.url(request.url)}`;
  const title = interrupted ? `PARTIAL (interrupted by ${signals.received}) ${where}` : where;
  const lines: string[] = [formatSummary(title, summary, style)];
  if (plan.model === "open") {
    lines.push(formatOpenLine(plan.rate, counters, plan.maxInFlight, uncorrected.summary()));
  }
  if (shard) lines.push(`worker        ${shard.index}/${shard.count}, run ${meta?.run_id ?? "-"}`);
  if (results.length) lines.push("", formatRuleTable(results, style));
  if (plan.insecure && (summary.error_kinds.tls ?? 0) > 0) {
    lines.push(
      "",
      "TLS errors with --insecure: Deno can only skip certificate checks process-wide; run with deno run --unsafely-ignore-certificate-errors=HOST (or trust the CA with --ca-cert)",
    );
  }
  if (csv !== null) lines.push("", `CSV: ${csv.path} (${csv.rows} rows)`);
  let code: number;
  if (interrupted) code = 130;
  else if (summary.count === 0 || summary.successes === 0) code = 4;
  else if (results.some((r) => r.verdict === "fail")) code = 1;
  else if (results.some((r) => r.verdict === "inconclusive")) code = 3;
  else code = 0;
  if (code === 4) {
    const kinds = Object.entries(summary.error_kinds).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push(
      "",
      summary.count === 0
        ? "The run failed: no request was measured (warm-up took the whole run?)"
        : `The run failed: none of ${summary.count} requests succeeded (${
          kinds || "no responses"
        })`,
    );
  }
  console.log(redactor.text(lines.join("\n")));
  if (plan.jsonPath !== null) {
    const doc = {
      tool: "tailgate bench",
      partial: interrupted,
      interrupted_by: signals.received,
      exit_code: code,
      started_at: new Date(startedAt).toISOString(),
      summary,
      sla: results,
      open_model: plan.model === "open"
        ? {
          rate: plan.rate,
          max_in_flight: plan.maxInFlight,
          drop_after_ms: plan.dropAfterMs,
          ...counters,
          uncorrected: pickLatency(uncorrected.summary()),
        }
        : null,
      csv: csv?.path ?? null,
      run: meta ? { run_id: meta.run_id, worker: meta.worker, workers: meta.workers } : null,
      config,
    };
    await Deno.writeTextFile(plan.jsonPath, redactor.text(JSON.stringify(doc, null, 2)) + "\n");
  }
  return code;
}

/** The latency part of a summary (for the uncorrected view of an open run). */
function pickLatency(s: ReturnType<SummaryBuilder["summary"]>) {
  return {
    note:
      "latency from the actual send, as a closed-loop tool would measure it; not used for SLA rules",
    p50_ms: s.p50_ms,
    p90_ms: s.p90_ms,
    p95_ms: s.p95_ms,
    p99_ms: s.p99_ms,
    p999_ms: s.p999_ms,
    max_ms: s.max_ms,
  };
}
