/**
 * `tailgate suite` (what `deno task run` calls): serve the mock on loopback,
 * run the baseline and the optimized profile with identical requests (one
 * after the other, or interleaved in blocks), compare them with a block
 * bootstrap, gate on the SLA with confidence, attribute the difference, and
 * write results/.
 */
import { serveMock } from "../../mock/server.ts";
import {
  attributeDifference,
  type Attribution,
  attributionRunFromStats,
} from "../stats/attribution.ts";
import { blockBootstrapCompare, type BootstrapComparison } from "../stats/bootstrap.ts";
import { type Client, createClient, type HttpRequest } from "../client/mod.ts";
import { collect } from "../records/collect.ts";
import { compareSummaries } from "../stats/compare.ts";
import { percentileInterval } from "../stats/confidence.ts";
import { CsvWriter } from "../records/csv_writer.ts";
import { isSuccess, type RequestRecord } from "../record.ts";
import { buildChartData } from "../report/series.ts";
import { htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import {
  fmtMs,
  formatAttribution,
  formatBootstrap,
  formatComparison,
  formatIntervals,
} from "../report/text.ts";
import { runClosed } from "../load/runner.ts";
import { evaluateSla } from "../stats/sla.ts";
import { type Summary, SummaryBuilder } from "../stats/summary.ts";
import {
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  str,
  strs,
} from "./_args.ts";
import { formatRuleTable } from "./_bench_text.ts";
import { MOCK_OPTIONS, mockConfigFromValues } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import {
  bootstrapOptions,
  claimOutput,
  confidenceOption,
  slaExitCode,
  slaRows,
  writeOutput,
} from "./_verdicts.ts";
import { meanVerdict } from "./compare.ts";
import { parseRules } from "./report.ts";

const OPTIONS: OptionSpecs = {
  requests: { type: "string", short: "n", arg: "N", default: "400", help: "Requests per profile" },
  concurrency: {
    type: "string",
    short: "c",
    arg: "C",
    default: "20",
    help: "Requests in flight per profile",
  },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "SLA rule on the optimized run (repeatable; default p95<=800ms)",
  },
  confidence: {
    type: "string",
    arg: "LEVEL|off",
    default: "95%",
    help: "Confidence of the SLA verdict and the intervals; off gates on the point value",
  },
  interleave: {
    type: "boolean",
    help: "Run the profiles in alternating blocks (ABAB…) instead of one after the other",
  },
  block: {
    type: "string",
    arg: "N",
    default: "50",
    help: "Requests per block with --interleave",
  },
  "fail-on-regression": {
    type: "boolean",
    help: "Exit 1 when optimized is significantly slower than baseline (P95)",
  },
  "bootstrap-seed": {
    type: "string",
    arg: "N",
    default: "1",
    help: "Seed of the comparison's bootstrap resampling",
  },
  resamples: { type: "string", arg: "N", default: "2000", help: "Bootstrap resamples" },
  junit: { type: "string", arg: "FILE", help: "Also write the verdicts as JUnit XML" },
  "out-dir": {
    type: "string",
    arg: "DIR",
    default: "results",
    help: "Where the CSVs and reports go",
  },
  quiet: { type: "boolean", short: "q", help: "Print only the verdict" },
  ...MOCK_OPTIONS,
};

/** Help text. */
export const HELP = `Usage: tailgate suite [options]

Starts the built-in mock on 127.0.0.1 (one configuration for every run),
runs the baseline profile (plain fetch) and the optimized profile (HTTP/2 +
keep-alive pool sized to the concurrency) with identical requests, checks
server-side that both runs sent the same requests, compares them (block
bootstrap over time, verdict on P95), splits the difference into connection
setup and everything else, and gates on the SLA for the optimized run.

By default the profiles run one after the other. With --interleave they run
in alternating blocks (baseline block 1, optimized block 1, baseline block
2, …; each block drains before the next starts) against the same mock, so
drift in the server or the machine hits both alike. Both clients stay open
across blocks. The mock is not reset between blocks (its service times
keep drawing fresh values); its cumulative /stats is read at every block
boundary, and each block's share (requests, connections opened, request
digest) is the difference, summed per profile.

Writes <out-dir>/latency_baseline.csv, latency_optimized.csv,
comparison_report.json and report.html (and --junit FILE when asked).

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 SLA met, 1 SLA failed (or a regression with
--fail-on-regression), 2 usage or input error, 3 inconclusive (not enough
data to decide the SLA), 4 the run failed.`;

const encoder = new TextEncoder();

/** The suite's request for id `i`: a small inference-like JSON payload, identical across profiles. */
export function suiteRequest(url: string, i: number): HttpRequest {
  const body = encoder.encode(JSON.stringify({
    id: i,
    model: "mock-1",
    prompt: `Summarize ticket #${i} in one sentence.`,
    max_tokens: 64,
  }));
  return { url, method: "POST", headers: [["content-type", "application/json"]], body };
}

const PROFILES = ["baseline", "optimized"] as const;
type Profile = typeof PROFILES[number];

/** One profile's run in progress and its results. */
interface ProfileRun {
  name: Profile;
  csvPath: string;
  builder: SummaryBuilder;
  records: RequestRecord[];
  /** The mock's /stats for this profile (summed over blocks when interleaved). */
  mock: unknown;
  /** Per-block /stats when interleaved. */
  blocks: MockStats[];
}

/** Runs the command; returns the exit code. */
export async function suite(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("suite", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const requests = positiveInt("--requests", str(values, "requests")!);
  const concurrency = positiveInt("--concurrency", str(values, "concurrency")!);
  const ruleTexts = strs(values, "sla");
  const rules = parseRules(ruleTexts.length ? ruleTexts : ["p95<=800ms"]);
  const confidence = confidenceOption(str(values, "confidence")!);
  const boot = bootstrapOptions(
    { ...values, confidence: confidence === "off" ? "95%" : String(confidence) },
    "bootstrap-seed",
  );
  const interleave = values.interleave === true;
  const block = positiveInt("--block", str(values, "block")!);
  const failOnRegression = values["fail-on-regression"] === true;
  const outDir = str(values, "out-dir")!;
  const junitPath = str(values, "junit");
  const mockConfig = mockConfigFromValues(values);
  const quiet = values.quiet === true;
  const log = (s: string) => quiet || console.log(s);
  const timeoutMs = 30_000;
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `Cannot create ${outDir}: ${(err as Error).message.split("\n")[0]}; choose --out-dir`,
    );
  }
  const htmlPath = `${outDir}/report.html`;
  await claimOutput(htmlPath, "report");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");

  const runs: Record<Profile, ProfileRun> = {
    baseline: newRun("baseline", outDir),
    optimized: newRun("optimized", outDir),
  };
  const server = serveMock({ ...mockConfig, port: 0 });
  const control = Deno.createHttpClient({});
  const statsUrl = new URL("/stats", server.url).href;
  const resetUrl = new URL("/stats/reset", server.url).href;
  const apiUrl = new URL("/api", server.url).href;
  /** Ends the mock's current run and returns its stats. */
  const resetStats = async (): Promise<MockStats> =>
    await (await fetch(resetUrl, { method: "POST", client: control })).json();
  /** The mock's stats of the current run so far. */
  const snapshot = async (): Promise<MockStats> =>
    await (await fetch(statsUrl, { client: control })).json();
  try {
    log(
      `mock: ${server.url} (seed ${mockConfig.seed}, rtt ${mockConfig.rttMs}ms, setup ${mockConfig.setupRtts} RTT)`,
    );
    if (!interleave) {
      for (const profile of PROFILES) {
        await resetStats();
        const run = runs[profile];
        const csv = await CsvWriter.create(run.csvPath);
        const client = createClient(profile, { concurrency, timeoutMs });
        log(`running ${profile}: ${requests} requests, concurrency ${concurrency} …`);
        try {
          await runBlock(run, client, csv, apiUrl, 0, requests, concurrency);
        } finally {
          await csv.close();
          await client.close();
        }
        run.mock = await snapshot();
      }
    } else {
      const blocks = Math.ceil(requests / block);
      log(
        `running baseline and optimized interleaved: ${blocks} blocks of ${block} requests each, concurrency ${concurrency} …`,
      );
      const csvs = {
        baseline: await CsvWriter.create(runs.baseline.csvPath),
        optimized: await CsvWriter.create(runs.optimized.csvPath),
      };
      const clients: Record<Profile, Client> = {
        baseline: createClient("baseline", { concurrency, timeoutMs }),
        optimized: createClient("optimized", { concurrency, timeoutMs }),
      };
      try {
        await resetStats();
        let prev = await snapshot();
        for (let j = 0; j < blocks; j++) {
          const start = j * block;
          const size = Math.min(block, requests - start);
          for (const profile of PROFILES) {
            const run = runs[profile];
            await runBlock(run, clients[profile], csvs[profile], apiUrl, start, size, concurrency);
            const cur = await snapshot();
            run.blocks.push(diffStats(prev, cur));
            prev = cur;
          }
        }
      } finally {
        for (const p of PROFILES) {
          await csvs[p].close();
          await clients[p].close();
        }
      }
      for (const p of PROFILES) runs[p].mock = sumBlockStats(runs[p].blocks);
    }
  } finally {
    control.close();
    await server.close();
  }

  const base = runs.baseline;
  const opt = runs.optimized;
  const baseSummary = base.builder.summary();
  const optSummary = opt.builder.summary();
  const improvement = compareSummaries(baseSummary, optSummary);
  const sortedOpt = opt.builder.sortedLatencies().slice();
  const sortedBase = base.builder.sortedLatencies().slice();
  const results = rules.map((r) => evaluateSla(r, optSummary, sortedOpt, confidence));
  const passed = results.every((r) => r.passed);
  const consistency = interleave
    ? blockConsistency(base.blocks, opt.blocks, base.mock, opt.mock)
    : requestConsistency(base.mock, opt.mock);

  const seriesA = timeOrderedSuccesses(base.records);
  const seriesB = timeOrderedSuccesses(opt.records);
  const bootstrap: BootstrapComparison | null = seriesA.length >= 2 && seriesB.length >= 2
    ? blockBootstrapCompare(seriesA, seriesB, boot)
    : null;
  const attribution = attributionOf(base, opt, baseSummary, optSummary, concurrency);
  const level = confidence === "off" ? 0.95 : confidence;
  const p95 = {
    baseline: percentileInterval(sortedBase, 95, level),
    optimized: percentileInterval(sortedOpt, 95, level),
  };

  const reportPath = `${outDir}/comparison_report.json`;
  await writeJson(reportPath, {
    baseline: baseSummary,
    optimized: optSummary,
    improvement,
    sla: {
      rule: results.map((r) => r.rule).join(" && "),
      passed,
      verdict: results.some((r) => r.verdict === "fail")
        ? "fail"
        : results.some((r) => r.verdict === "inconclusive")
        ? "inconclusive"
        : "pass",
      rules: results,
    },
    confidence: {
      sla: confidence === "off" ? "off" : confidence,
      sla_bounds: confidence === "off"
        ? "point estimate (no bounds)"
        : "one-sided order-statistic bounds at this level (lib/confidence.ts)",
      p95_intervals: { level, ...p95 },
    },
    bootstrap,
    verdict: bootstrap?.verdict ?? null,
    attribution,
    request_consistency: consistency,
    mock: { config: mockConfig, baseline: base.mock, optimized: opt.mock },
    config: {
      requests,
      concurrency,
      timeout_ms: timeoutMs,
      mode: interleave ? "interleaved" : "sequential",
      ...(interleave ? { block } : {}),
    },
  });

  const slaCases = slaRows(results, "optimized", optSummary.successes);
  const comparisonCase = bootstrap
    ? { ...bootstrap, baseline: "baseline", candidate: "optimized" }
    : null;
  const generatedAt = new Date().toISOString();
  const html = renderHtmlReport({
    title: `tailgate suite: baseline vs optimized (${interleave ? "interleaved" : "sequential"})`,
    generatedAt,
    runs: [base, opt].map((r) =>
      htmlRunSummary(r.name, r.csvPath, r.name === "baseline" ? baseSummary : optSummary)
    ),
    charts: buildChartData([
      { name: "baseline", records: base.records },
      { name: "optimized", records: opt.records },
    ]),
    slaLines: rules.filter((r) => r.kind === "latency").map((r) => ({
      label: r.text,
      limitMs: r.limit,
    })),
    sla: slaCases,
    comparison: comparisonCase,
    notes: [
      `Mock ${mockConfig.rttMs} ms RTT, ${mockConfig.setupRtts} RTT connection setup, seed ${mockConfig.seed}; ${requests} requests per profile, concurrency ${concurrency}, ${
        interleave ? `interleaved in blocks of ${block}` : "sequential"
      }.`,
      `Connections opened: baseline ${conns(base.mock)}, optimized ${conns(opt.mock)}.`,
      `Request consistency (server-side digest): ${
        consistency.identical ? "identical" : "DIFFERENT"
      }.`,
      ...(attribution ? [formatAttribution(attribution, meanVerdict(bootstrap))] : []),
    ],
  });
  await writeOutput(htmlPath, html, "report");
  if (junitPath !== undefined) {
    const xml = renderJunitReport({
      timestamp: generatedAt,
      sla: slaCases,
      comparisons: comparisonCase ? [comparisonCase] : [],
      regressionIsFailure: failOnRegression,
    });
    await writeOutput(junitPath, xml, "--junit");
  }

  const style = { color: useColor() };
  log("");
  log(formatComparison(["baseline", "optimized"], baseSummary, optSummary, improvement, style));
  log("");
  log(
    bootstrap
      ? formatBootstrap(["baseline", "optimized"], bootstrap, style)
      : "no comparison verdict: a profile has fewer than 2 successful requests",
  );
  log("");
  log(`connections opened: baseline ${conns(base.mock)}, optimized ${conns(opt.mock)}`);
  log(
    `request consistency (server-side digest${interleave ? ", per block" : ""}): ${
      consistency.identical ? "identical" : "DIFFERENT"
    }`,
  );
  if (attribution) {
    log("");
    log(formatAttribution(attribution, meanVerdict(bootstrap)));
  }
  log("");
  log(`== summary (${interleave ? `interleaved, blocks of ${block}` : "sequential"}) ==`);
  log(formatIntervals("p95", [["baseline", p95.baseline], ["optimized", p95.optimized]]));
  const head = bootstrap?.metrics.find((m) => m.metric === bootstrap.primary);
  log(
    head && bootstrap
      ? `comparison (block bootstrap on P95): ${bootstrap.verdict}, optimized − baseline ${
        head.delta >= 0 ? "+" : "-"
      }${fmtMs(Math.abs(head.delta))}, ${(bootstrap.confidence * 100).toFixed(0)}% CI [${
        signed(head.lower)
      }, ${signed(head.upper)}]`
      : "comparison: no verdict",
  );
  log("");
  console.log(formatRuleTable(results, style));
  log(
    `\nwrote ${base.csvPath}, ${opt.csvPath}, ${reportPath}, ${htmlPath}${
      junitPath ? `, ${junitPath}` : ""
    }`,
  );
  if (!consistency.identical) {
    console.error(
      "tailgate suite: the two runs did not send identical requests; the comparison is not valid",
    );
    return 4;
  }
  if (optSummary.successes === 0) return 4;
  const code = slaExitCode(results);
  if (failOnRegression && bootstrap?.verdict === "regressed" && code !== 1) return 1;
  return code;
}

function signed(v: number): string {
  return `${v > 0 ? "+" : v < 0 ? "-" : ""}${fmtMs(Math.abs(v))}`;
}

function newRun(name: Profile, outDir: string): ProfileRun {
  return {
    name,
    csvPath: `${outDir}/latency_${name}.csv`,
    builder: new SummaryBuilder(),
    records: [],
    mock: null,
    blocks: [],
  };
}

/** Sends requests `start` … `start + count − 1` with one profile; waits until all finished. */
async function runBlock(
  run: ProfileRun,
  client: Client,
  csv: CsvWriter,
  apiUrl: string,
  start: number,
  count: number,
  concurrency: number,
): Promise<void> {
  await collect(
    runClosed({
      client,
      requestFor: (i) => suiteRequest(apiUrl, start + i),
      idOffset: start,
      concurrency: Math.min(concurrency, count),
      requests: count,
    }),
    { csv, builder: run.builder, onRecord: (r) => run.records.push(r) },
  );
}

/** Successful, measured latencies in start-time order (the bootstrap's input). */
function timeOrderedSuccesses(records: readonly RequestRecord[]): Float64Array {
  const ok = records.filter((r) => !r.warmup && isSuccess(r));
  ok.sort((a, b) => a.startedMs - b.startedMs || a.id - b.id);
  return Float64Array.from(ok, (r) => r.latencyMs);
}

function attributionOf(
  base: ProfileRun,
  opt: ProfileRun,
  a: Summary,
  b: Summary,
  concurrency: number,
): Attribution | null {
  if (a.mean_ms === null || b.mean_ms === null) return null;
  try {
    return attributeDifference(
      attributionRunFromStats("baseline", base.mock, {
        requests: a.successes,
        meanMs: a.mean_ms,
        maxInFlight: concurrency,
      }),
      attributionRunFromStats("optimized", opt.mock, {
        requests: b.successes,
        meanMs: b.mean_ms,
        maxInFlight: concurrency,
      }),
    );
  } catch {
    return null; // the mock's stats lacked connection counts: nothing to attribute
  }
}

interface Digest {
  count: number;
  bytes: number;
  sha256_sum: string;
}

type MockStats = {
  config?: unknown;
  requests?: {
    total?: number;
    by_route?: Record<string, number>;
    by_status?: Record<string, number>;
  };
  connections?: {
    opened?: number;
    seen?: number;
    by_http_version?: Record<string, number>;
    requests_by_http_version?: Record<string, number>;
    requests_per_connection?: { max?: number };
  };
  digest?: Digest;
  faults?: Record<string, number>;
};

function conns(stats: unknown): string {
  const n = (stats as MockStats)?.connections?.opened;
  return n === undefined ? "?" : String(n);
}

function addCounts(
  into: Record<string, number>,
  from: Record<string, number> | undefined,
): Record<string, number> {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
  return into;
}

const MOD = 1n << 256n;

function subCounts(
  cur: Record<string, number> | undefined,
  prev: Record<string, number> | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur ?? {})) {
    out[k] = v - (prev?.[k] ?? 0);
  }
  return out;
}

/**
 * One block's stats: the difference of two cumulative `/stats` snapshots of
 * the same mock run. Counts, connections opened and first seen, and the
 * digest (a sum modulo 2^256) subtract exactly; `requests_per_connection.max`
 * is the run's maximum so far (a bound, not the block's own).
 */
function diffStats(prev: MockStats, cur: MockStats): MockStats {
  const pc = prev.connections;
  const cc = cur.connections;
  const sum = (BigInt(`0x${cur.digest?.sha256_sum ?? "0"}`) -
    BigInt(`0x${prev.digest?.sha256_sum ?? "0"}`) + MOD) % MOD;
  return {
    config: cur.config,
    requests: {
      total: (cur.requests?.total ?? 0) - (prev.requests?.total ?? 0),
      by_route: subCounts(cur.requests?.by_route, prev.requests?.by_route),
      by_status: subCounts(cur.requests?.by_status, prev.requests?.by_status),
    },
    connections: {
      opened: (cc?.opened ?? 0) - (pc?.opened ?? 0),
      seen: (cc?.seen ?? 0) - (pc?.seen ?? 0),
      by_http_version: subCounts(cc?.by_http_version, pc?.by_http_version),
      requests_by_http_version: subCounts(
        cc?.requests_by_http_version,
        pc?.requests_by_http_version,
      ),
      requests_per_connection: { max: cc?.requests_per_connection?.max ?? 0 },
    },
    digest: {
      count: (cur.digest?.count ?? 0) - (prev.digest?.count ?? 0),
      bytes: (cur.digest?.bytes ?? 0) - (prev.digest?.bytes ?? 0),
      sha256_sum: sum.toString(16).padStart(64, "0"),
    },
    faults: subCounts(cur.faults, prev.faults),
  };
}

/**
 * One profile's mock stats summed over its interleaved blocks (each the
 * difference of two snapshots, see `diffStats`). Exact for counts,
 * connections opened, connections first seen (with their HTTP version),
 * and the digest (a sum modulo 2^256 of per-request hashes, so blocks add
 * up).
 */
function sumBlockStats(blocks: readonly MockStats[]): unknown {
  let opened = 0, seen = 0, maxPerConn = 0, total = 0, count = 0, bytes = 0;
  let sum = 0n;
  const byRoute: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byVersion: Record<string, number> = {};
  const reqByVersion: Record<string, number> = {};
  const faults: Record<string, number> = {};
  for (const b of blocks) {
    opened += b.connections?.opened ?? 0;
    seen += b.connections?.seen ?? 0;
    maxPerConn = Math.max(maxPerConn, b.connections?.requests_per_connection?.max ?? 0);
    addCounts(byVersion, b.connections?.by_http_version);
    addCounts(reqByVersion, b.connections?.requests_by_http_version);
    total += b.requests?.total ?? 0;
    addCounts(byRoute, b.requests?.by_route);
    addCounts(byStatus, b.requests?.by_status);
    addCounts(faults, b.faults);
    count += b.digest?.count ?? 0;
    bytes += b.digest?.bytes ?? 0;
    sum = (sum + BigInt(`0x${b.digest?.sha256_sum ?? "0"}`)) % MOD;
  }
  return {
    config: blocks[0]?.config ?? null,
    blocks: blocks.length,
    requests: { total, by_route: byRoute, by_status: byStatus },
    connections: {
      opened,
      seen,
      by_http_version: byVersion,
      requests_by_http_version: reqByVersion,
      requests_per_connection: { max: maxPerConn },
    },
    digest: { count, bytes, sha256_sum: sum.toString(16).padStart(64, "0") },
    faults,
  };
}

function sameDigest(a: Digest | undefined, b: Digest | undefined): boolean {
  return a !== undefined && b !== undefined && a.count === b.count && a.bytes === b.bytes &&
    a.sha256_sum === b.sha256_sum;
}

function requestConsistency(
  a: unknown,
  b: unknown,
): { identical: boolean; baseline: unknown; optimized: unknown } {
  const da = (a as MockStats)?.digest;
  const db = (b as MockStats)?.digest;
  return {
    identical: sameDigest(da, db),
    baseline: da ?? null,
    optimized: db ?? null,
  };
}

/**
 * Interleaved runs: block j of each profile sent the same request ids, so
 * their server-side digests must match block by block (and so do the sums).
 */
function blockConsistency(
  a: readonly MockStats[],
  b: readonly MockStats[],
  sumA: unknown,
  sumB: unknown,
): { identical: boolean; baseline: unknown; optimized: unknown; blocks_differing: number[] } {
  const differing: number[] = [];
  for (let j = 0; j < Math.max(a.length, b.length); j++) {
    if (!sameDigest(a[j]?.digest, b[j]?.digest)) differing.push(j);
  }
  const whole = requestConsistency(sumA, sumB);
  return {
    ...whole,
    identical: whole.identical && differing.length === 0,
    blocks_differing: differing,
  };
}
