/**
 * The suite's experiment: against one mock (or the user's URL), run the
 * baseline and the candidate client with identical requests (one after the
 * other, or interleaved in blocks), read the mock's `/stats` at each
 * boundary (against a URL: tally a client-side digest of every request
 * each client sent), then compare the runs and gate the candidate on the SLA. The command
 * (`lib/cli/suite.ts`) parses flags, starts the mock through the one seam
 * between `lib/` and `mock/`, and prints and writes what this returns.
 * Why the placement and the design: [docs/architecture.md](../../docs/architecture.md).
 *
 * @module
 */
import { createClient } from "../client/mod.ts";
import { RequestTally, tallied } from "../client/request_digest.ts";
import type { Client, HttpRequest } from "../client/types.ts";
import { collect } from "../records/collect.ts";
import { CsvWriter } from "../records/csv_writer.ts";
import { RunKeeper } from "../records/load_run.ts";
import { evaluateScoped, judgedOf } from "../stats/scoped_sla.ts";
import type { TargetSummary } from "../stats/by_target.ts";
import { compareTargets, type TargetDelta } from "../stats/target_compare.ts";
import type { TargetsPick } from "./targets.ts";
import type { Attribution } from "../stats/attribution.ts";
import {
  blockBootstrapCompare,
  type BootstrapComparison,
  type BootstrapOptions,
} from "../stats/bootstrap.ts";
import { compareSummaries } from "../stats/compare.ts";
import { type PercentileInterval, percentileInterval } from "../stats/confidence.ts";
import {
  attributeFromMockStats,
  diffMockStats,
  type MockStats,
  type RequestConsistency,
  requestConsistency,
  sumMockStats,
} from "../stats/mock_stats.ts";
import { slaExitCode, type SlaResult, type SlaRule } from "../stats/sla.ts";
import type { Summary } from "../stats/summary.ts";
import { connectionsOpened, type SetupSplit, splitSetup } from "../stats/setup_split.ts";
import { stepBlockLength } from "../stats/ladder.ts";
import { MockControl } from "./_mock_control.ts";
import { runClosed } from "./runner.ts";
import { ErrorCauses } from "../stats/error_causes.ts";

const encoder = new TextEncoder();

/**
 * The suite's request for id `i`: a small inference-like JSON payload, identical across profiles.
 *
 * @example
 * ```ts
 * import { suiteRequest } from "./suite_run.ts";
 * suiteRequest("http://127.0.0.1:8080/api", 7).method; // "POST"
 * ```
 */
export function suiteRequest(url: string, i: number): HttpRequest {
  const body = encoder.encode(JSON.stringify({
    id: i,
    model: "mock-1",
    prompt: `Summarize ticket #${i} in one sentence.`,
    max_tokens: 64,
  }));
  return { url, method: "POST", headers: [["content-type", "application/json"]], body };
}

/**
 * The two roles the suite compares, in run order: the baseline and the
 * candidate (keyed `optimized`, the default candidate, in files and JSON).
 */
export const SUITE_PROFILES = ["baseline", "optimized"] as const;
/** One of {@linkcode SUITE_PROFILES}. */
export type SuiteProfile = typeof SUITE_PROFILES[number];

/** The client a role runs, as decided before the run. */
export interface SuiteClient {
  /** The client profile, e.g. `baseline`, `optimized`, `fast`. */
  profile: string;
  /** The protocol it speaks to this server (for `optimized`: what the probe found). */
  protocol?: "h2" | "http/1.1";
  /** `optimized` against targets on several origins: each origin's protocol. */
  origins?: Record<string, "h2" | "http/1.1">;
}

/** The user's own URL as the target (no mock, no server-side stats). */
export interface SuiteUrlTarget {
  /** The request every client sends (as bench builds it). */
  request: HttpRequest;
  /** Extra CA certificates for https. */
  caCerts?: string[];
  /** A targets file's requests, sent in its fixed sequence instead of `request`. */
  targets?: TargetsPick;
}

/** A running mock, as the suite needs it. */
export interface SuiteMock {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/** Options of {@linkcode runSuite}. */
export interface SuiteOptions {
  /** Starts the mock (one configuration for every run); unused with `url`. */
  startMock?: () => SuiteMock;
  /** The user's URL instead of the mock. */
  url?: SuiteUrlTarget;
  /**
   * Decides each role's client once the target URL is known (e.g. by a
   * probe), before any request; default: profiles baseline and optimized.
   */
  chooseClients?: (apiUrl: string) => Promise<Record<SuiteProfile, SuiteClient>>;
  /** Requests per profile. */
  requests: number;
  /** Requests in flight per profile. */
  concurrency: number;
  /** Run the profiles in alternating blocks of `block` requests. */
  interleave: boolean;
  block: number;
  /** Where the CSVs go: `<outDir>/latency_<profile>.csv`. */
  outDir: string;
  /**
   * Where the CSVs are written while the run lasts (the command's stage
   * inside `outDir`, renamed into place at the end); default `outDir`.
   */
  stageDir?: string;
  /** Stop starting requests when aborted (Ctrl-C): requests in flight finish, the run ends. */
  signal?: AbortSignal;
  /** Give up on requests in flight when aborted (a second signal, or after a grace period). */
  hardStop?: AbortSignal;
  /** Per-request timeout. */
  timeoutMs: number;
  /** SLA rules on the optimized run. */
  rules: SlaRule[];
  /** Confidence of the SLA verdicts and the P95 intervals (`off`: point values, 95% intervals). */
  confidence: number | "off";
  /** The comparison's bootstrap. */
  bootstrap: BootstrapOptions;
  /** Exit 1 when optimized is significantly slower. */
  failOnRegression: boolean;
  /** Progress messages. */
  log: (line: string) => void;
}

/** One profile's run and its results. */
export interface ProfileRun {
  name: SuiteProfile;
  /** The client that ran, as chosen before the run. */
  client: SuiteClient;
  /** Against a URL: what the client sent (count, bytes, digest sum). */
  sent: { count: number; bytes: number; sha256_sum: string } | null;
  /** The CSV's final path, as reports name it. */
  csvPath: string;
  /** Where the CSV is written (in the stage while the run lasts). */
  stagedPath: string;
  /** Summary, records (for the charts) and the bootstrap's series. */
  keeper: RunKeeper;
  /** The mock's `/stats` for this profile (summed over blocks when interleaved). */
  mock: MockStats | null;
  /** Per-block `/stats` when interleaved. */
  blocks: MockStats[];
  /** Why its requests failed: the first messages of each error kind. */
  causes: ErrorCauses;
}

/** Whether both runs sent the same requests, and how that was checked. */
export type SuiteConsistency = RequestConsistency & {
  method: "server-side digest" | "client-side digest";
  note?: string;
};

/** Everything the suite measured and decided. */
export interface SuiteOutcome {
  /** The mock's base URL, or the user's URL. */
  mockUrl: string;
  /** Whether the target was the user's URL (no server-side stats). */
  external: boolean;
  baseline: ProfileRun;
  optimized: ProfileRun;
  summaries: { baseline: Summary; optimized: Summary };
  improvement: ReturnType<typeof compareSummaries>;
  /** The SLA verdicts of the optimized run. */
  results: SlaResult[];
  consistency: SuiteConsistency;
  /** `null` when a profile has fewer than 2 successful requests. */
  bootstrap: BootstrapComparison | null;
  attribution: Attribution | null;
  /**
   * Connection setup vs the rest from the clients' own phases (connect + TLS
   * per request), when both runs recorded them; works against any URL.
   */
  setupSplit: SetupSplit | null;
  /** Connections each client opened by its own count (distinct `conn`), `null` when not counted. */
  clientConnections: { baseline: number | null; optimized: number | null };
  p95: { level: number; baseline: PercentileInterval; optimized: PercentileInterval };
  /**
   * With a targets file: each run's per-target summaries and B − A per
   * target (matched by name, each with its bootstrap interval); else `null`.
   */
  targets: {
    baseline: TargetSummary[];
    optimized: TargetSummary[];
    deltas: TargetDelta[];
  } | null;
  /** 0 SLA met, 1 failed (or regressed with `failOnRegression`), 3 inconclusive, 4 invalid run. */
  exitCode: number;
}

/**
 * Runs the suite and judges it. The mock is closed at the end.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./suite_run.ts";
 * const outcome = await runSuite({ startMock, requests: 400, concurrency: 20, ...rest });
 * outcome.exitCode;
 * ```
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteOutcome> {
  const runs: Record<SuiteProfile, ProfileRun> = {
    baseline: newRun("baseline", options),
    optimized: newRun("optimized", options),
  };
  if (options.url) {
    const url = options.url.request.url;
    await chooseClients(runs, url, options);
    await runProfiles(null, runs, options);
    return { mockUrl: url, external: true, ...judgeSuite(runs.baseline, runs.optimized, options) };
  }
  if (!options.startMock) throw new TypeError("runSuite needs startMock or url");
  const server = options.startMock();
  try {
    await chooseClients(runs, new URL("/api", server.url).href, options);
    await runProfiles(server.url, runs, options);
  } finally {
    await server.close();
  }
  return {
    mockUrl: server.url,
    external: false,
    ...judgeSuite(runs.baseline, runs.optimized, options),
  };
}

async function chooseClients(
  runs: Record<SuiteProfile, ProfileRun>,
  apiUrl: string,
  options: SuiteOptions,
): Promise<void> {
  if (!options.chooseClients) return;
  const chosen = await options.chooseClients(apiUrl);
  for (const p of SUITE_PROFILES) runs[p].client = chosen[p];
}

function newRun(name: SuiteProfile, o: Pick<SuiteOptions, "outDir" | "stageDir">): ProfileRun {
  return {
    name,
    client: { profile: name },
    sent: null,
    csvPath: `${o.outDir}/latency_${name}.csv`,
    stagedPath: `${o.stageDir ?? o.outDir}/latency_${name}.csv`,
    keeper: new RunKeeper({ records: true, series: true }),
    mock: null,
    blocks: [],
    causes: new ErrorCauses(),
  };
}

/** `base` is the mock's URL, or `null` against the user's URL (no /stats). */
async function runProfiles(
  base: string | null,
  runs: Record<SuiteProfile, ProfileRun>,
  options: SuiteOptions,
): Promise<void> {
  const { requests, concurrency, timeoutMs, block, log, signal, hardStop } = options;
  const stopped = () => signal?.aborted === true || hardStop?.aborted === true;
  const control = base === null ? null : new MockControl(base);
  const apiUrl = base === null ? options.url!.request.url : new URL("/api", base).href;
  const userRequest = options.url?.request;
  const targets = options.url?.targets;
  const requestFor = targets
    ? targets.requestFor
    : userRequest
    ? () => userRequest
    : (i: number) => suiteRequest(apiUrl, i);
  const tallies: Record<SuiteProfile, RequestTally> = {
    baseline: new RequestTally(),
    optimized: new RequestTally(),
  };
  const open = (p: SuiteProfile): Client => {
    const c = runs[p].client;
    const caCerts = options.url?.caCerts ?? [];
    const client = createClient(c.profile, {
      concurrency,
      timeoutMs,
      ...(c.protocol ? { protocol: c.protocol } : {}),
      ...(c.origins ? { originProtocols: c.origins } : {}),
      ...(caCerts.length ? { caCerts } : {}),
    });
    return base === null ? tallied(client, tallies[p]) : client;
  };
  /** Ends the mock's current run and returns its stats. */
  const resetStats = async (): Promise<MockStats | null> => control ? await control.reset() : null;
  /** The mock's stats of the current run so far. */
  const snapshot = async (): Promise<MockStats | null> => control ? await control.stats() : null;
  /** Sends requests `start` … `start + count − 1` with one profile; waits until all finished. */
  const runBlock = async (
    run: ProfileRun,
    client: Client,
    csv: CsvWriter,
    start: number,
    count: number,
  ): Promise<void> => {
    await collect(
      runClosed({
        client,
        requestFor: (i) => requestFor(start + i),
        ...(targets ? { targetFor: (i: number) => targets.targetFor(start + i) } : {}),
        idOffset: start,
        concurrency: Math.min(concurrency, count),
        requests: count,
        causes: run.causes,
        ...(signal ? { signal } : {}),
        ...(hardStop ? { hardStop } : {}),
      }),
      { csv, builder: run.keeper.builder, onRecord: (r) => run.keeper.keep(r) },
    );
  };
  try {
    if (!options.interleave) {
      for (const profile of SUITE_PROFILES) {
        await resetStats();
        const run = runs[profile];
        const csv = await CsvWriter.create(run.stagedPath);
        const client = open(profile);
        log(
          `running ${profile} (${run.client.profile}): ${requests} requests, concurrency ${concurrency} …`,
        );
        try {
          // Stopped before this client's turn: its CSV holds the header only.
          if (!stopped()) await runBlock(run, client, csv, 0, requests);
        } finally {
          await csv.close();
          await client.close();
        }
        run.mock = await snapshot();
        if (base === null) run.sent = await tallies[profile].result();
      }
      return;
    }
    const blocks = Math.ceil(requests / block);
    log(
      `running baseline and optimized interleaved: ${blocks} blocks of ${block} requests each, concurrency ${concurrency} …`,
    );
    const csvs = {
      baseline: await CsvWriter.create(runs.baseline.stagedPath),
      optimized: await CsvWriter.create(runs.optimized.stagedPath),
    };
    const clients: Record<SuiteProfile, Client> = {
      baseline: open("baseline"),
      optimized: open("optimized"),
    };
    try {
      await resetStats();
      let prev = await snapshot();
      for (let j = 0; j < blocks && !stopped(); j++) {
        const start = j * block;
        const size = Math.min(block, requests - start);
        for (const profile of SUITE_PROFILES) {
          if (stopped()) break;
          const run = runs[profile];
          await runBlock(run, clients[profile], csvs[profile], start, size);
          const cur = await snapshot();
          if (prev !== null && cur !== null) run.blocks.push(diffMockStats(prev, cur));
          prev = cur;
        }
      }
    } finally {
      for (const p of SUITE_PROFILES) {
        await csvs[p].close();
        await clients[p].close();
      }
    }
    for (const p of SUITE_PROFILES) {
      if (base === null) runs[p].sent = await tallies[p].result();
      else runs[p].mock = sumMockStats(runs[p].blocks);
    }
  } finally {
    control?.close();
  }
}

/** The bootstrap options without a fixed block length (each target's series chooses its own). */
function perTargetBootstrap(b: BootstrapOptions): BootstrapOptions {
  const { blockLength: _fixed, ...rest } = b;
  return rest;
}

/**
 * Compares the two runs and gates the optimized one: SLA verdicts, the
 * block bootstrap, the attribution to connection setup, the P95 intervals,
 * the request-consistency check and the exit code. Pure.
 *
 * @example
 * ```ts ignore
 * import { judgeSuite } from "./suite_run.ts";
 * const judged = judgeSuite(baselineRun, optimizedRun, { rules, confidence: 0.95, ...rest });
 * judged.exitCode; // 0, 1, 3 or 4
 * ```
 */
export function judgeSuite(
  base: ProfileRun,
  opt: ProfileRun,
  options: Pick<
    SuiteOptions,
    | "rules"
    | "confidence"
    | "bootstrap"
    | "concurrency"
    | "interleave"
    | "block"
    | "failOnRegression"
  >,
): Omit<SuiteOutcome, "mockUrl" | "external"> {
  const { confidence, concurrency } = options;
  const baseSummary = base.keeper.builder.summary();
  const optSummary = opt.keeper.builder.summary();
  const sortedOpt = opt.keeper.builder.sortedLatencies().slice();
  const sortedBase = base.keeper.builder.sortedLatencies().slice();
  // A rule scoped to a target judges the candidate's requests to that target alone.
  const results = evaluateScoped(
    options.rules,
    { summary: optSummary, sorted: sortedOpt, phases: opt.keeper.builder.phases },
    (n) => {
      const b = opt.keeper.byTarget.builder(n);
      return b && judgedOf(b);
    },
    confidence,
  );
  const consistency: SuiteConsistency = base.sent !== null && opt.sent !== null
    ? {
      method: "client-side digest",
      identical: base.sent.count === opt.sent.count &&
        base.sent.bytes === opt.sent.bytes && base.sent.sha256_sum === opt.sent.sha256_sum,
      baseline: base.sent,
      optimized: opt.sent,
      note:
        "against a URL there is no server-side digest: each client's requests were digested as they were handed to it (what the server received is not checked)",
    }
    : {
      method: "server-side digest",
      ...requestConsistency(
        base.mock,
        opt.mock,
        options.interleave ? { baseline: base.blocks, optimized: opt.blocks } : undefined,
      ),
    };
  const seriesA = base.keeper.series()!;
  const seriesB = opt.keeper.series()!;
  // Interleaved, drift moves whole blocks: resample at least a block at a time (as the ladder
  // does), or one slow block looks like a client difference; an explicit length still wins.
  const bootstrapOptions = options.interleave && options.bootstrap.blockLength === undefined
    ? { ...options.bootstrap, blockLength: stepBlockLength(seriesA, seriesB, options.block) }
    : options.bootstrap;
  const bootstrap = seriesA.length >= 2 && seriesB.length >= 2
    ? blockBootstrapCompare(seriesA, seriesB, bootstrapOptions)
    : null;
  const targets = base.keeper.byTarget.size > 0 || opt.keeper.byTarget.size > 0
    ? {
      baseline: base.keeper.byTarget.summaries(),
      optimized: opt.keeper.byTarget.summaries(),
      // Each target's own block length: its share of an interleaved block is smaller.
      deltas: compareTargets(
        base.keeper.targetSeries!,
        opt.keeper.targetSeries!,
        perTargetBootstrap(options.bootstrap),
      ),
    }
    : null;
  let attribution: Attribution | null;
  try {
    attribution = attributeFromMockStats(
      { name: "baseline", summary: baseSummary, stats: base.mock, maxInFlight: concurrency },
      { name: "optimized", summary: optSummary, stats: opt.mock, maxInFlight: concurrency },
    );
  } catch {
    attribution = null; // the mock's stats lacked connection counts: nothing to attribute
  }
  const level = confidence === "off" ? 0.95 : confidence;
  let exitCode: number;
  if (!consistency.identical || optSummary.successes === 0) exitCode = 4;
  else {
    exitCode = slaExitCode(results);
    if (options.failOnRegression && bootstrap?.verdict === "regressed") exitCode = 1;
  }
  return {
    baseline: base,
    optimized: opt,
    summaries: { baseline: baseSummary, optimized: optSummary },
    improvement: compareSummaries(baseSummary, optSummary),
    results,
    consistency,
    bootstrap,
    attribution,
    setupSplit: splitSetup(
      { name: base.name, records: base.keeper.records ?? [] },
      { name: opt.name, records: opt.keeper.records ?? [] },
      bootstrapOptions,
    ),
    clientConnections: {
      baseline: connectionsOpened(base.keeper.records ?? []),
      optimized: connectionsOpened(opt.keeper.records ?? []),
    },
    p95: {
      level,
      baseline: percentileInterval(sortedBase, 95, level),
      optimized: percentileInterval(sortedOpt, 95, level),
    },
    targets,
    exitCode,
  };
}
