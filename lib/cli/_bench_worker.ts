/**
 * One thread of `bench --workers N` (a Deno Worker; it inherits the
 * command's permissions). It plans its share exactly as `bench --shard i/N`
 * would from the same arguments, runs it with its own client, and posts its
 * records to the main thread as packed record batches; the main thread
 * writes the one CSV and the one summary (`_bench_workers.ts`).
 *
 * Messages in: `start` (arguments and what the main thread decided), `go`
 * (every worker is ready), `stop` (finish the requests in flight), `hard`
 * (give up on them). Out: `ready`, `batch`, then `done` or `error`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { ClientOptions, HttpRequest } from "../client/types.ts";
import { runBench } from "../load/bench_run.ts";
import { newOpenLoopCounters } from "../load/runner.ts";
import type { RequestRecord } from "../record.ts";
import { packRecords } from "../records/record_batch.ts";
import { Redactor } from "../redact.ts";
import { parseCommandArgs, strs } from "./_args.ts";
import { OPTIONS } from "./_bench_options.ts";
import { benchClient, type Plan, planRun } from "./_bench_plan.ts";
import { secretHeaderNames } from "./_request.ts";
import { targetsRun, targetsWorkload } from "./_targets.ts";

/** What the main thread sends to start a worker. */
export interface WorkerStart {
  type: "start";
  /** The command's arguments (habits translated), without `--workers`. */
  args: string[];
  index: number;
  count: number;
  /** The client profile and protocol the main thread decided (one probe for all). */
  profile: string;
  protocol: NonNullable<ClientOptions["protocol"]>;
  /** `optimized` across several origins: each one's protocol. */
  origins?: Record<string, NonNullable<ClientOptions["protocol"]>>;
  caCerts: string[];
  request: HttpRequest;
}

/** Records are posted in batches of this many, or every {@linkcode BATCH_MS}. */
const BATCH_RECORDS = 4096;
const BATCH_MS = 100;

const stop = new AbortController();
const hard = new AbortController();
let go: () => void = () => {};
const started = new Promise<void>((resolve) => (go = resolve));

self.onmessage = (e: MessageEvent) => {
  const m = e.data as WorkerStart | { type: "go" | "stop" | "hard" };
  if (m.type === "start") void run(m);
  else if (m.type === "go") go();
  else if (m.type === "stop" || m.type === "hard") {
    // Stopped before the load began: the loop then claims nothing and ends at once.
    stop.abort();
    if (m.type === "hard") hard.abort();
    go();
  }
};

async function run(m: WorkerStart): Promise<void> {
  let batch: RequestRecord[] = [];
  let names: readonly string[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const data = packRecords(batch, names);
    batch = [];
    self.postMessage({ type: "batch", data }, [data.buffer as ArrayBuffer]);
  };
  const timer = setInterval(flush, BATCH_MS);
  try {
    const { values } = parseCommandArgs(
      "bench",
      [...m.args, "--shard", `${m.index}/${m.count}`],
      OPTIONS,
    );
    values.client = m.profile;
    const plan: Plan = {
      ...planRun(values),
      profile: m.profile,
      caCerts: m.caCerts,
      outPath: null,
      jsonPath: null,
    };
    const redactor = Redactor.forRequest(
      m.request.url,
      m.request.headers,
      secretHeaderNames(strs(values, "secret-header")),
    );
    // A targets file is read again here (the same bytes, so the same sequence and names).
    const targets = values.targets === undefined
      ? null
      : targetsRun((await targetsWorkload(values, plan.seed)).targets);
    names = targets?.names ?? [];
    const client = benchClient(plan, m.protocol, redactor, m.origins);
    const counters = newOpenLoopCounters();
    const result = await runBench({
      plan,
      client,
      request: m.request,
      ...(targets ? { targets } : {}),
      signal: stop.signal,
      hardStop: hard.signal,
      openCsv: null,
      meta: null,
      ready: () => {
        self.postMessage({ type: "ready" });
        return started;
      },
      onRecord: (r) => {
        batch.push(r);
        if (batch.length >= BATCH_RECORDS) flush();
      },
    });
    flush();
    const c = result.counters ?? counters;
    self.postMessage({
      type: "done",
      retries: result.retries,
      causes: result.causes.list(),
      fdLimit: result.causes.fdLimit,
      late: c.late,
      dropped: c.dropped,
      maxStartLagMs: c.maxStartLagMs,
    });
  } catch (err) {
    flush();
    self.postMessage({
      type: "error",
      message: err instanceof Error ? err.message : String(err),
      usage: err instanceof Error && err.name === "UsageError",
    });
  } finally {
    clearInterval(timer);
  }
}
