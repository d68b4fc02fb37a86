/**
 * The client ladder (`suite --ladder`): the same requests sent by four
 * clients that each differ from the previous by one client change, in
 * interleaved blocks (rung 1 block 1, rung 2 block 1, …, rung 1 block 2, …;
 * each block drains before the next starts), so drift in the server or the
 * machine hits every rung alike.
 *
 * The rungs, all tailgate's own engines where one exists:
 * 1. `no-reuse`: `fast`, a new connection per request (`reuse: false`),
 *    what a script without a session does;
 * 2. `small-pool`: `fast` with keep-alive but at most `poolSize` idle
 *    connections (default 10, Python requests' `pool_maxsize`; Go's
 *    `MaxIdleConnsPerHost` default is 2): when a burst ends, connections
 *    above the pool size are closed, and the next burst opens them again;
 * 3. `keep-alive`: `fast` with the idle pool sized to the concurrency;
 * 4. `http2`: `fast-h2` (one connection, as many streams as the server's
 *    SETTINGS allow) when this build has it, else `optimized` (fetch with
 *    HTTP/2); the report names which one ran.
 *
 * Connections opened per rung come from the mock's `/stats` (the difference
 * of the snapshots around each block), and are counted client-side too
 * where the engine counts them (the `fast` engines), as a cross-check.
 * The exit code follows the SLA of the top rung (the client the ladder
 * leads to), decided before the run like the suite's gate on `optimized`.
 *
 * @module
 */
import { createClient } from "../client/mod.ts";
import { RequestTally, tallied } from "../client/request_digest.ts";
import { type Client, type ClientOptions, type HttpRequest, PROFILES } from "../client/types.ts";
import { collect } from "../records/collect.ts";
import { CsvWriter } from "../records/csv_writer.ts";
import type { RequestRecord } from "../record.ts";
import type { BootstrapOptions } from "../stats/bootstrap.ts";
import { computeLadder, type Ladder } from "../stats/ladder.ts";
import {
  attributeFromMockStats,
  diffMockStats,
  type MockStats,
  type RequestConsistency,
  requestConsistency,
  sumMockStats,
} from "../stats/mock_stats.ts";
import { slaExitCode, type SlaResult, type SlaRule } from "../stats/sla.ts";
import { MockControl } from "./_mock_control.ts";
import { runClosed } from "./runner.ts";
import { ErrorCauses } from "../stats/error_causes.ts";
import type { SuiteMock, SuiteUrlTarget } from "./suite_run.ts";

/** The default idle pool of the `small-pool` rung: Python requests' `pool_maxsize`. */
export const DEFAULT_LADDER_POOL = 10;

/**
 * How long the keep-alive rungs keep an idle connection against the mock.
 * Interleaving leaves a rung idle while the other rungs run their blocks
 * (seconds on a busy machine); the `fast` engine's default of 4 s would
 * expire its connections then, and `fast-h2` never expires an idle one, so
 * the pause would cost the HTTP/1.1 rungs alone. 20 s outlasts the pauses
 * and stays below hyper's 30 s header-read timeout of Deno.serve.
 */
export const LADDER_IDLE_TIMEOUT_MS = 20_000;

/** One rung's client, described and ready to create. */
export interface LadderRungSpec {
  /** Short rung name, e.g. `keep-alive`. */
  name: string;
  /** The client profile (engine). */
  profile: string;
  /** The client settings that define the rung (go into the report as they are). */
  settings: Record<string, string | number | boolean>;
  /** The settings in words, for tables. */
  label: string;
  /** Options passed to `createClient` beyond concurrency and timeout. */
  options: Partial<ClientOptions>;
}

/**
 * The engine of the HTTP/2 rung: `fast-h2` when this build offers it, else
 * `optimized` (fetch's HTTP/2, which leaves Nagle on: see the report notes).
 *
 * @example
 * ```ts
 * import { ladderHttp2Profile } from "./ladder_run.ts";
 * ["fast-h2", "optimized"].includes(ladderHttp2Profile()); // true
 * ```
 */
export function ladderHttp2Profile(): "fast-h2" | "optimized" {
  return (PROFILES as readonly string[]).includes("fast-h2") ? "fast-h2" : "optimized";
}

/**
 * The four rungs for a concurrency and a small-pool size (three when
 * `http2Profile` is `null`: a server without HTTP/2). The keep-alive rungs
 * keep idle connections `idleTimeoutMs` (`null`: the engine's default).
 *
 * @throws {RangeError} when the pool is not smaller than the concurrency (rung 2 would be rung 3).
 *
 * @example
 * ```ts
 * import { ladderRungs } from "./ladder_run.ts";
 * ladderRungs(20, 10).map((r) => r.name); // ["no-reuse", "small-pool", "keep-alive", "http2"]
 * ```
 */
export function ladderRungs(
  concurrency: number,
  poolSize: number,
  http2Profile: string | null = ladderHttp2Profile(),
  idleTimeoutMs: number | null = LADDER_IDLE_TIMEOUT_MS,
): LadderRungSpec[] {
  if (!Number.isInteger(poolSize) || poolSize < 0 || poolSize >= concurrency) {
    throw new RangeError(
      `Invalid ladder pool: it must be an integer from 0 to below the concurrency (${concurrency}), got ${poolSize}`,
    );
  }
  const h2 = http2Profile === "fast-h2";
  const idle = idleTimeoutMs === null ? {} : { idleTimeoutMs };
  const rungs: LadderRungSpec[] = [
    {
      name: "no-reuse",
      profile: "fast",
      settings: { http: "1.1", keep_alive: false, max_idle: 0 },
      label: "fast, HTTP/1.1, new connection per request",
      options: { reuse: false },
    },
    {
      name: "small-pool",
      profile: "fast",
      settings: { http: "1.1", keep_alive: true, max_idle: poolSize },
      label: `fast, HTTP/1.1 keep-alive, ${poolSize} idle max`,
      options: { maxIdle: poolSize, ...idle },
    },
    {
      name: "keep-alive",
      profile: "fast",
      settings: { http: "1.1", keep_alive: true, max_idle: concurrency },
      label: `fast, HTTP/1.1 keep-alive, ${concurrency} idle max`,
      options: { maxIdle: concurrency, ...idle },
    },
    {
      name: "http2",
      profile: http2Profile ?? "fast-h2",
      settings: h2
        ? { http: "2", connections: 1, streams: "as the server's SETTINGS allow" }
        : { http: "2", engine: "fetch (Deno.createHttpClient, h2c / ALPN)", fallback: true },
      label: h2 ? "fast-h2, HTTP/2, one connection" : "optimized (fetch), HTTP/2",
      options: h2 ? { connections: 1 } : {},
    },
  ];
  return http2Profile === null ? rungs.slice(0, 3) : rungs;
}

/** Options of {@linkcode runLadder}. */
export interface LadderRunOptions {
  /** Starts the mock (one configuration for every rung); unused with `url`. */
  startMock?: () => SuiteMock;
  /**
   * The user's URL instead of the mock: every rung sends this request, no
   * `/stats` (connections and request identity are counted client-side),
   * no attribution.
   */
  url?: SuiteUrlTarget;
  /** The request for id `i` against the mock's API URL (identical across rungs). */
  requestFor: (apiUrl: string, i: number) => HttpRequest;
  /** Requests per rung. */
  requests: number;
  /** Requests in flight per rung. */
  concurrency: number;
  /** Requests per block. */
  block: number;
  /** Idle pool of the `small-pool` rung. */
  poolSize: number;
  timeoutMs: number;
  /** Where the CSVs go: `<outDir>/latency_<rung>.csv`. */
  outDir: string;
  /** Where the CSVs are written while the run lasts (renamed into place later); default `outDir`. */
  stageDir?: string;
  /** Stop starting requests when aborted (Ctrl-C): requests in flight finish, the ladder ends. */
  signal?: AbortSignal;
  /** Give up on requests in flight when aborted. */
  hardStop?: AbortSignal;
  /** SLA rules, judged on every rung; the exit code follows the top rung. */
  rules: SlaRule[];
  /** Confidence of the SLA verdicts (`off`: point values, 95% intervals). */
  confidence: number | "off";
  /** The steps' bootstrap. */
  bootstrap: BootstrapOptions;
  /** Progress lines. */
  log: (line: string) => void;
  /** The HTTP/2 rung's engine (default {@linkcode ladderHttp2Profile}); `null` leaves the rung out. */
  http2Profile?: string | null;
}

/** What one rung measured. */
export interface LadderRungRun {
  spec: LadderRungSpec;
  /** The CSV's final path, as reports name it. */
  csvPath: string;
  /** Where the CSV is written (in the stage while the run lasts). */
  stagedPath: string;
  records: RequestRecord[];
  /** The mock's `/stats` of each of this rung's blocks (snapshot differences), in block order. */
  blocks: MockStats[];
  /** The blocks summed. */
  mock: MockStats | null;
  /** Connections the client opened, when the engine counts them. */
  clientConnections: number | null;
  /** Against a URL: what the client sent (count, body bytes, digest sum). */
  sent: { count: number; bytes: number; sha256_sum: string } | null;
  /** Why its requests failed: the first messages of each error kind. */
  causes: ErrorCauses;
}

/** Everything the ladder measured and decided. */
export interface LadderOutcome {
  /** The mock's base URL, or the user's URL. */
  mockUrl: string;
  /** Whether the target was the user's URL (no server-side stats). */
  external: boolean;
  runs: LadderRungRun[];
  ladder: Ladder;
  /**
   * Each adjacent pair of rungs sent identical requests: block by block by
   * the mock's digests, or over the run by client-side digests against a URL.
   */
  consistency: {
    identical: boolean;
    method: "server-side digest" | "client-side digest";
    steps: RequestConsistency[];
  };
  /** The SLA verdicts of the top rung (the gate). */
  results: SlaResult[];
  /** 0 SLA met on the top rung, 1 failed, 3 inconclusive, 4 invalid run. */
  exitCode: number;
}

/**
 * Runs the ladder against the mock and judges it: per rung the statistics
 * and the SLA, per step the bootstrap change and its attribution to
 * connection setup; the exit code follows the SLA of the top rung. The mock
 * is closed at the end.
 *
 * @example
 * ```ts ignore
 * import { runLadder } from "./ladder_run.ts";
 * const outcome = await runLadder({ startMock, requestFor: suiteRequest, requests: 400,
 *   concurrency: 20, block: 50, poolSize: 10, ...rest });
 * outcome.ladder.steps.map((s) => s.verdict);
 * ```
 */
export async function runLadder(options: LadderRunOptions): Promise<LadderOutcome> {
  const { requests, concurrency, block, timeoutMs, log, signal, hardStop } = options;
  const stopped = () => signal?.aborted === true || hardStop?.aborted === true;
  const external = options.url !== undefined;
  // Against the mock the keep-alive rungs outlast the interleaving pauses; a real
  // server may close idle connections sooner, so there the engine's default holds.
  const rungs = ladderRungs(
    concurrency,
    options.poolSize,
    options.http2Profile === undefined ? ladderHttp2Profile() : options.http2Profile,
    external ? null : LADDER_IDLE_TIMEOUT_MS,
  );
  if (!external && !options.startMock) throw new TypeError("runLadder needs startMock or url");
  const server = external ? null : options.startMock!();
  const runs: LadderRungRun[] = rungs.map((spec) => ({
    spec,
    csvPath: `${options.outDir}/latency_${spec.name}.csv`,
    stagedPath: `${options.stageDir ?? options.outDir}/latency_${spec.name}.csv`,
    records: [],
    blocks: [],
    mock: null,
    clientConnections: null,
    sent: null,
    causes: new ErrorCauses(),
  }));
  const control = server ? new MockControl(server.url) : null;
  const userRequest = options.url?.request;
  const apiUrl = userRequest ? userRequest.url : new URL("/api", server!.url).href;
  const targets = options.url?.targets;
  const requestFor = targets
    ? targets.requestFor
    : userRequest
    ? () => userRequest
    : (i: number) => options.requestFor(apiUrl, i);
  /** The mock's cumulative stats of the current run (`null` against a URL). */
  const snapshot = async (): Promise<MockStats | null> => control ? await control.stats() : null;
  const blocks = Math.ceil(requests / block);
  const csvs: CsvWriter[] = [];
  const engines: Client[] = [];
  const tallies = runs.map(() => new RequestTally());
  const caCerts = options.url?.caCerts ?? [];
  try {
    log(
      `running the ladder (${
        rungs.map((r) => r.name).join(", ")
      }) interleaved: ${blocks} blocks of ${block} requests per rung, concurrency ${concurrency} …`,
    );
    for (const run of runs) {
      csvs.push(await CsvWriter.create(run.stagedPath));
      engines.push(createClient(run.spec.profile, {
        concurrency,
        timeoutMs,
        ...run.spec.options,
        ...(caCerts.length ? { caCerts } : {}),
      }));
    }
    // Against a URL every request is tallied client-side; the engine keeps its own count.
    const clients = engines.map((c, k) => external ? tallied(c, tallies[k]!) : c);
    await control?.reset();
    let prev = await snapshot();
    for (let j = 0; j < blocks && !stopped(); j++) {
      const start = j * block;
      const size = Math.min(block, requests - start);
      for (let k = 0; k < runs.length && !stopped(); k++) {
        const run = runs[k] as LadderRungRun;
        // The end of a block is the ladder's pause, not the client's: once its last request is
        // sent, the rung's pool parks what drains instead of trimming it to its idle limit, so
        // a small pool pays for its limit during the load, not for the interleaving.
        const engine = engines[k] as Client;
        engine.pause?.(false);
        await collect(
          runClosed({
            client: clients[k] as Client,
            requestFor: (i) => {
              if (i === size - 1) engine.pause?.(true);
              return requestFor(start + i);
            },
            ...(targets ? { targetFor: (i: number) => targets.targetFor(start + i) } : {}),
            idOffset: start,
            concurrency: Math.min(concurrency, size),
            requests: size,
            causes: run.causes,
            ...(signal ? { signal } : {}),
            ...(hardStop ? { hardStop } : {}),
          }),
          { csv: csvs[k] as CsvWriter, onRecord: (r) => run.records.push(r) },
        );
        const cur = await snapshot();
        if (prev !== null && cur !== null) run.blocks.push(diffMockStats(prev, cur));
        prev = cur;
      }
    }
  } finally {
    for (const c of csvs) await c.close();
    engines.forEach((c, k) => {
      (runs[k] as LadderRungRun).clientConnections = c.connectionsOpened ?? null;
    });
    for (const c of engines) await c.close();
    control?.close();
    await server?.close();
  }
  for (const [k, run] of runs.entries()) {
    if (external) run.sent = await tallies[k]!.result();
    else run.mock = sumMockStats(run.blocks);
  }
  return { mockUrl: server ? server.url : apiUrl, external, runs, ...judgeLadder(runs, options) };
}

/**
 * Judges measured rungs: the ladder statistics (with the suite's
 * attribution per step), the request-consistency check of each adjacent
 * pair, and the exit code from the SLA of the top rung. Pure.
 */
export function judgeLadder(
  runs: readonly LadderRungRun[],
  options: Pick<LadderRunOptions, "rules" | "confidence" | "bootstrap" | "concurrency" | "block">,
): Omit<LadderOutcome, "mockUrl" | "external" | "runs"> {
  const ladder = computeLadder(
    runs.map((r) => ({
      name: r.spec.name,
      records: r.records,
      ...(r.mock ? { mockStats: r.mock } : {}),
    })),
    {
      rules: options.rules,
      confidence: options.confidence,
      bootstrap: options.bootstrap,
      concurrency: options.concurrency,
      interleaveBlock: options.block,
      attribute: attributeFromMockStats,
    },
  );
  const steps: RequestConsistency[] = [];
  const clientSide = runs.some((r) => r.sent !== null);
  for (let k = 0; k + 1 < runs.length; k++) {
    const a = runs[k] as LadderRungRun;
    const b = runs[k + 1] as LadderRungRun;
    steps.push(
      clientSide
        ? {
          identical: a.sent !== null && b.sent !== null && a.sent.count === b.sent.count &&
            a.sent.bytes === b.sent.bytes && a.sent.sha256_sum === b.sent.sha256_sum,
          baseline: a.sent,
          optimized: b.sent,
        }
        : requestConsistency(a.mock, b.mock, { baseline: a.blocks, optimized: b.blocks }),
    );
  }
  const identical = steps.every((s) => s.identical);
  const top = ladder.rungs[ladder.rungs.length - 1];
  const results = top?.sla ?? [];
  const exitCode = !identical || !top || top.successes === 0 ? 4 : slaExitCode(results);
  const method = clientSide ? "client-side digest" : "server-side digest";
  return { ladder, consistency: { identical, method, steps }, results, exitCode };
}
