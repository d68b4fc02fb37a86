/**
 * `bench`'s flags turned into a validated plan (this worker's share when
 * sharded) and the run-wide configuration recorded in the JSON and the
 * CSV's sidecar.
 *
 * @module
 */
import { createClient } from "../client/mod.ts";
import { requestDigest } from "../client/request_digest.ts";
import { type Client, type ClientOptions, type HttpRequest, PROFILES } from "../client/types.ts";
import type { BenchPlan } from "../load/bench_run.ts";
import { parseShard, type Shard, shardSchedule, shardShare } from "../load/shard.ts";
import type { Redactor } from "../redact.ts";
import type { ScopedRule } from "../stats/scoped_sla.ts";
import { type Targets, targetsConfig, targetsDigest } from "./_targets.ts";
import {
  countOrDuration,
  durationOption,
  positiveInt,
  quoted,
  rateOption,
  str,
  strs,
  type Values,
} from "./_args.ts";
import { reason } from "./_files.ts";
import { formatDuration } from "../duration.ts";
import type { ProtocolDecision } from "./_protocol.ts";
import { UsageError } from "./_usage_error.ts";
import { confidenceOption, parseRules } from "./_verdicts.ts";
import { arrivalFlags } from "./_arrival_flags.ts";

/** Measured requests when neither -n nor -d is given. */
export const DEFAULT_REQUESTS = 200;
/** Closed model: requests in flight. */
export const DEFAULT_CONCURRENCY = 20;
/** Open model: most requests in flight. */
export const DEFAULT_MAX_IN_FLIGHT = 1000;

/** Parses `--start-at` (ISO 8601 or epoch ms) into epoch ms within the next 10 minutes. */
function startAtOption(text: string): number {
  const t = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) {
    throw new UsageError(
      `Invalid value for --start-at: ${
        quoted(text)
      }; use an ISO 8601 time (2026-01-01T12:00:00Z) or epoch ms`,
    );
  }
  const wait = t - Date.now();
  if (wait > 600_000) {
    throw new UsageError(
      `Invalid value for --start-at: ${quoted(text)} is more than 10 minutes away`,
    );
  }
  return t;
}

/** Everything a run needs, validated. */
export interface Plan extends BenchPlan {
  timeoutMs: number;
  profile: string;
  /** fast-h2 only: connections and streams per connection. */
  connections: number | undefined;
  streams: number | undefined;
  rules: ScopedRule[];
  confidence: number | "off";
  runId: string | undefined;
  caCerts: string[];
  insecure: boolean;
  quiet: boolean;
  outPath: string | null;
  jsonPath: string | null;
}

/** Validates the flags that shape the run. */
export function planRun(values: Values): Omit<Plan, "caCerts" | "outPath" | "jsonPath"> {
  const given = (name: string) => str(values, name) !== undefined;
  const timeoutMs = durationOption("--timeout", str(values, "timeout")!);
  const arrival = arrivalFlags(values);
  const warmup = given("warmup") ? countOrDuration("--warmup", str(values, "warmup")!) : null;
  // A ramp lasts the stages' sum; a time warm-up is the ramp's first part.
  const warmupMs = warmup !== null && "durationMs" in warmup ? warmup.durationMs : 0;
  if (arrival.stagesMs !== null && warmupMs >= arrival.stagesMs) {
    throw new UsageError(
      `--warmup ${str(values, "warmup")} takes the whole ramp (the stages last ${
        formatDuration(arrival.stagesMs)
      }): shorten it below that`,
    );
  }
  const durationMs = given("duration")
    ? durationOption("--duration", str(values, "duration")!)
    : arrival.stagesMs === null
    ? undefined
    : arrival.stagesMs - warmupMs;
  let requests = given("requests")
    ? positiveInt("--requests", str(values, "requests")!)
    : durationMs === undefined
    ? DEFAULT_REQUESTS
    : Infinity;
  const open = given("rate") || arrival.stages !== null;
  if (open && given("concurrency")) {
    throw new UsageError(
      "Cannot combine --rate with -c/--concurrency: the open model sends on a schedule; bound it with --max-in-flight N instead",
    );
  }
  if (!open) {
    for (const f of ["max-in-flight", "drop-after", "pacer"]) {
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
  // With --stages, --rate is the ramp's start rate (k6's startRate; 0 when not given).
  let rate = given("rate") ? rateOption("--rate", str(values, "rate")!) : 0;
  const arrivals = open && (arrival.process === "poisson" || arrival.stages !== null)
    ? { process: arrival.process, startRate: rate, stages: arrival.stages ?? [] }
    : null;
  let concurrency = given("concurrency")
    ? positiveInt("--concurrency", str(values, "concurrency")!)
    : DEFAULT_CONCURRENCY;
  const maxInFlight = given("max-in-flight")
    ? positiveInt("--max-in-flight", str(values, "max-in-flight")!)
    : DEFAULT_MAX_IN_FLIGHT;
  const dropAfterMs = given("drop-after")
    ? durationOption("--drop-after", str(values, "drop-after")!)
    : timeoutMs;
  const pacer = str(values, "pacer") ?? "yield";
  if (pacer !== "yield" && pacer !== "timers") {
    throw new UsageError(`Unknown --pacer ${quoted(pacer)}: use yield or timers`);
  }
  const profile = str(values, "client")!;
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw new UsageError(
      `Unknown --client profile ${quoted(profile)}: use one of ${PROFILES.join(", ")}`,
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
  let offsetMs = 0;
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
    // Poisson and ramps split inside their schedule (arrivals.ts); the rate shown is the share.
    if (open && arrivals !== null) rate = rate / count;
    else if (open) ({ rate, offsetMs } = shardSchedule(rate, index, count));
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
      `Invalid --run-id ${quoted(runId)}: use 1 to 128 letters, digits, '.', '_', ':' or '-'`,
    );
  }
  return {
    model: open ? "open" : "closed",
    requests,
    durationMs,
    concurrency,
    rate,
    offsetMs,
    arrivals,
    seed: arrival.seed,
    maxInFlight,
    dropAfterMs,
    pacer,
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

/**
 * The run-wide configuration (totals, not this shard's share), secrets
 * redacted, with the protocol decision and the digest of the request.
 */
export async function runConfig(
  plan: Plan,
  request: HttpRequest,
  redactor: Redactor,
  values: Values,
  protocol: ProtocolDecision["record"],
  targets: Targets | null = null,
): Promise<Record<string, unknown>> {
  return {
    ...flagConfig(plan, request, redactor, values),
    protocol,
    // With targets: the digest of every request, its name and weight, and the mix (the sequence).
    request_digest: targets ? await targetsDigest(targets, plan.seed) : await requestDigest({
      ...request,
      url: redactor.url(request.url),
      headers: redactor.headers(request.headers).map(([n, v]) => [n, v] as [string, string]),
    }),
    targets: targets ? targetsConfig(targets) : null,
  };
}

function flagConfig(
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
    rate: num("rate") === undefined ? null : rateOption("--rate", num("rate")!),
    max_in_flight: plan.model === "open" ? plan.maxInFlight : null,
    drop_after_ms: plan.model === "open" ? plan.dropAfterMs : null,
    pacer: plan.model === "open" ? plan.pacer : null,
    arrival: plan.model === "open" ? plan.arrivals?.process ?? "constant" : null,
    stages: plan.arrivals?.stages.length ? str(values, "stages")!.trim() : null,
    seed: plan.seed,
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

/** The client of a planned run; a bad CA certificate or option is a usage error. */
export function benchClient(
  plan: Plan,
  protocol: NonNullable<ClientOptions["protocol"]>,
  redactor: Redactor,
  origins?: Record<string, NonNullable<ClientOptions["protocol"]>>,
): Client {
  try {
    const clientOptions: ClientOptions = {
      concurrency: plan.model === "open" ? plan.maxInFlight : plan.concurrency,
      timeoutMs: plan.timeoutMs,
      insecure: plan.insecure,
    };
    if (plan.caCerts.length) clientOptions.caCerts = plan.caCerts;
    clientOptions.protocol = protocol;
    if (origins) clientOptions.originProtocols = origins;
    if (plan.connections !== undefined) clientOptions.connections = plan.connections;
    if (plan.streams !== undefined) clientOptions.streams = plan.streams;
    return createClient(plan.profile, clientOptions);
  } catch (err) {
    throw new UsageError(
      `Cannot set up the ${plan.profile} client: ${
        redactor.text(reason(err))
      }; check --ca-cert and --client`,
    );
  }
}

/** `--out` (a timestamped CSV in results/ by default, `null` with `--no-csv`) and `--json`. */
export function outputPaths(values: Values): { outPath: string | null; jsonPath: string | null } {
  const outPath = values["no-csv"] ? null : str(values, "out") ??
    `results/bench-${new Date().toISOString().replace(/[:.]/g, "-")}.csv`;
  if (values["no-csv"] && str(values, "out") !== undefined) {
    throw new UsageError("Cannot combine --out with --no-csv: keep one of them");
  }
  const jsonPath = str(values, "json") ?? null;
  if (outPath !== null && outPath === jsonPath) {
    throw new UsageError(`--out and --json both point at ${outPath}: give them different files`);
  }
  return { outPath, jsonPath };
}
