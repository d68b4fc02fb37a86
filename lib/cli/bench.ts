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
import type { Client } from "../client/mod.ts";
import { type BenchRunResult, runBench } from "../load/bench_run.ts";
import { rateProfile } from "../load/arrivals.ts";
import { CsvWriteError, CsvWriter } from "../records/csv_writer.ts";
import { buildRunMeta, metaPath, type RunMeta } from "../records/run_meta.ts";
import type { Redactor } from "../redact.ts";
import { ProgressLine } from "../report/progress.ts";
import { parseCommandArgs, positiveInt, str } from "./_args.ts";
import { runBenchWorkers } from "./_bench_workers.ts";
import { HELP, OPTIONS } from "./_bench_options.ts";
import { benchClient, outputPaths, type Plan, planRun, runConfig } from "./_bench_plan.ts";
import { benchReport } from "./_bench_text.ts";
import {
  checkRegularOutput,
  checkTempBeside,
  checkWritable,
  reason,
  refuseSidecarOverwrite,
  writeOutput,
} from "./_files.ts";
import { requestFromFlags } from "./_request.ts";
import { mixOption, type Targets, targetsRun, targetsWorkload } from "./_targets.ts";
import { checkRuleScopes } from "./_verdicts.ts";
import type { HttpRequest } from "../client/types.ts";
import { stderrStream, useColor } from "./_output.ts";
import { announcedStopSignals } from "./_signals.ts";
import { UsageError } from "./_usage_error.ts";
import { translateHabits } from "./_habits.ts";
import { checkPermissions } from "./_permissions.ts";
import { decideProtocol, DEFAULT_CLIENT, type ProtocolDecision } from "./_protocol.ts";
import { probeProtocol } from "../client/probe.ts";
import { originProtocols } from "./_origin_protocols.ts";
import type { RequestRecord } from "../record.ts";

export { HELP };

const TASK_HINT = { task: "deno task bench" };

/** Runs the command; returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  const argv = translateHabits(args, { durationFlag: true });
  const { values, positionals } = parseCommandArgs("bench", argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const targetsFile = str(values, "targets");
  if (targetsFile !== undefined && positionals.length > 0) {
    throw new UsageError(
      `Cannot combine a URL with --targets: ${targetsFile} gives the URLs; drop "${
        positionals[0]
      }"`,
    );
  }
  if (positionals.length === 0 && targetsFile === undefined) {
    throw new UsageError(
      "Missing URL: tailgate bench http://127.0.0.1:8080/api [options], or --targets FILE",
    );
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
  const workers = str(values, "workers") === undefined
    ? 1
    : positiveInt("--workers", str(values, "workers")!);
  if (workers > 1 && plan0.shard !== null) {
    throw new UsageError(
      "--workers and --shard do not combine: use --workers N on one machine, or --shard i/N per process",
    );
  }
  // Each thread plans its share as --shard i/N would: refuse a share that is empty here.
  for (let i = 1; i < workers; i++) {
    try {
      planRun({ ...values, shard: `${i}/${workers}` });
    } catch (err) {
      throw new UsageError(
        `--workers ${workers} (thread ${i} is --shard ${i}/${workers}): ${(err as Error).message}`,
      );
    }
  }
  if (targetsFile === undefined) mixOption(values); // --mix without --targets is refused
  const { request, redactor, caCerts, targets } = targetsFile !== undefined
    ? await targetsWorkload(values, plan0.seed, TASK_HINT)
    : { ...await requestFromFlags(positionals[0]!, values, TASK_HINT), targets: null };
  checkRuleScopes(plan0.rules, targets?.names ?? []);
  // 2. Output paths, before any file is created.
  const { outPath, jsonPath } = outputPaths(values);
  await refuseSidecarOverwrite(jsonPath, outPath);
  const write: [string, string][] = [];
  if (jsonPath !== null && jsonPath !== "-") write.push([jsonPath, "--json"]);
  if (outPath !== null) write.push([outPath, "--out"]);
  // Every host of a targets file, before any request.
  const urls = targets ? targets.requests.map((r) => r.url) : [request.url];
  await checkPermissions({ net: urls, write }, TASK_HINT);
  if (jsonPath !== null && jsonPath !== "-") {
    await checkWritable(jsonPath, "--json");
    await checkTempBeside(jsonPath, "--json");
  }
  if (outPath !== null) {
    await checkRegularOutput(outPath, "--out");
    await checkRegularOutput(metaPath(outPath), "--out's sidecar");
    await checkWritable(outPath, "--out");
    await checkPermissions({ write: [[metaPath(outPath), "the sidecar of --out"]] }, TASK_HINT);
    await checkTempBeside(outPath, "--out");
  }
  // 3. The protocol, decided once by a probe that sends no request.
  const probeOptions = {
    timeoutMs: Math.min(plan0.timeoutMs, 2000),
    ...(caCerts.length ? { caCerts } : {}),
  };
  const inFlight = plan0.model === "open" ? plan0.maxInFlight : plan0.concurrency;
  const decision = decideProtocol(
    plan0.profile,
    explicitClient,
    new URL(request.url).protocol === "https:" ? "https:" : "http:",
    await probeProtocol(request.url, probeOptions),
    inFlight,
  );
  if (decision.warning) console.error(`tailgate bench: ${redactor.text(decision.warning)}`);
  const queued = streamsShortfall(plan0, decision.client, workers);
  if (queued) console.error(`tailgate bench: ${queued}`);
  if (targets) {
    // A targets file may span several servers: each origin is probed, optimized speaks each one's.
    const other = await originProtocols(urls, decision, probeOptions, inFlight);
    for (const w of other.warnings) console.error(`tailgate bench: ${redactor.text(w)}`);
    if (other.origins) decision.origins = decision.record.origins = other.origins;
    if (other.lines.length) decision.line += "\n" + other.lines.join("\n");
  }
  const plan: Plan = { ...plan0, profile: decision.client, caCerts, outPath, jsonPath };
  // 3. The client (a bad CA certificate fails here, still before any file).
  const client = benchClient(plan, decision.protocol, redactor, decision.origins);
  const config = await runConfig(plan, request, redactor, values, decision.record, targets);
  let meta: RunMeta | null = null;
  const shardOfMeta = workers > 1 ? { index: 0, count: workers } : plan.shard;
  if (outPath !== null) meta = await buildRunMeta(config, shardOfMeta, plan.runId);
  const threads = workers > 1 ? { count: workers, args: withoutWorkers(argv) } : null;
  return await execute(
    plan,
    { request, targets },
    client,
    redactor,
    config,
    meta,
    decision,
    threads,
  );
}

/**
 * A warning when fast-h2's explicit `--connections` × `--streams` hold fewer
 * streams than the requests in flight: the rest wait in tailgate's own queue,
 * and that wait counts in their latency.
 */
function streamsShortfall(
  plan: ReturnType<typeof planRun>,
  client: string,
  threads: number,
): string | null {
  if (client !== "fast-h2" || plan.connections === undefined || plan.streams === undefined) {
    return null;
  }
  // Each --workers thread has its own client, and its share of the requests in flight.
  const inFlight = Math.ceil(
    (plan.model === "open" ? plan.maxInFlight : plan.concurrency) / threads,
  );
  const room = plan.connections * plan.streams;
  if (room >= inFlight) return null;
  const per = threads > 1 ? " per thread" : "";
  return `warning: --connections ${plan.connections} × --streams ${plan.streams} = ${room} streams for ${inFlight} requests in flight${per}: ${
    inFlight - room
  } wait in tailgate's queue at a time, and that wait counts in their latency (raise --streams, or lower ${
    plan.model === "open" ? "--max-in-flight" : "-c"
  })`;
}

/** The arguments without `--workers N`, for the worker threads to plan their shares from. */
function withoutWorkers(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--workers") i++;
    else if (!argv[i]!.startsWith("--workers=")) out.push(argv[i]!);
  }
  return out;
}

/**
 * The ramp's target rate for this worker now, from the schedule's start
 * (`begin()`: when the load started, or the `--start-at` time); `null` before.
 */
function rampTarget(plan: Plan, begin: () => number | null): () => number | null {
  const profile = rateProfile(plan.arrivals!.startRate, plan.arrivals!.stages);
  const share = plan.shard?.count ?? 1;
  return () => {
    const b = begin();
    const t = b === null ? -1 : Date.now() - b;
    return t < 0 ? null : profile.rateAt(t) / share;
  };
}

async function execute(
  plan: Plan,
  { request, targets }: { request: HttpRequest; targets: Targets | null },
  client: Client,
  redactor: Redactor,
  config: Record<string, unknown>,
  meta: RunMeta | null,
  decision: ProtocolDecision,
  threads: { count: number; args: string[] } | null,
): Promise<number> {
  const warmupCount = plan.warmup && "count" in plan.warmup ? plan.warmup.count : 0;
  const warmupMs = plan.warmup && "durationMs" in plan.warmup ? plan.warmup.durationMs : 0;
  let loadStart: number | null = null;
  const progress = new ProgressLine({
    stream: stderrStream(),
    enabled: !plan.quiet,
    total: plan.requests === Infinity ? null : plan.requests + warmupCount,
    durationMs: plan.durationMs === undefined ? null : plan.durationMs + warmupMs,
    ...(plan.arrivals?.stages.length ? { targetRate: rampTarget(plan, () => loadStart) } : {}),
  });
  const signals = announcedStopSignals("bench", plan.timeoutMs, (line) => {
    if (progress.enabled) progress.stopping();
    else if (!plan.quiet) console.error(line);
  });
  const outPath = plan.outPath;
  const common = {
    plan,
    request,
    ...(targets ? { targets: targetsRun(targets) } : {}),
    signal: signals.stop,
    hardStop: signals.hard,
    openCsv: outPath === null ? null : async () => {
      try {
        // Rows go to a file beside --out, renamed onto it at the end (then the sidecar):
        // a second run on the same path, or a reader, never sees a mix of two runs.
        return await CsvWriter.create(outPath, { atomic: true });
      } catch (err) {
        if (err instanceof CsvWriteError) throw err; // opened, but the disk refused: exit 4
        throw new UsageError(`Cannot write --out ${outPath}: ${reason(err)}; choose another path`);
      }
    },
    meta,
    onStart: () => {
      loadStart = Math.max(plan.startAt ?? 0, Date.now());
      progress.start();
    },
    onRecord: (r: RequestRecord) => progress.record(r),
    onEnd: () => {
      progress.stop();
      signals.dispose();
    },
  };
  let run: BenchRunResult;
  if (threads === null) run = await runBench({ ...common, client });
  else {
    // Each thread makes its own client; this one only served the checks above.
    await client.close();
    run = await runBenchWorkers({
      ...common,
      workers: threads.count,
      args: threads.args,
      protocol: decision.protocol,
      ...(decision.origins ? { origins: decision.origins } : {}),
    });
  }
  const { text, code, json } = benchReport({
    plan,
    run,
    title: targets
      ? `${plan.profile} → ${targets.names.length} targets from ${targets.file} (${targets.sequence.mix})`
      : `${plan.profile} → ${request.method} ${redactor.url(request.url)}`,
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
