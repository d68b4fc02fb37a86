/**
 * Helpers of the fault matrix (`fault_matrix_test.ts`): build any client
 * profile, run a closed loop against a URL, keep every record, and check the
 * accounting (one record per request started, summary equal to the records).
 *
 * Run as a script it executes the cases that need permissions the test
 * process does not have, and prints one JSON document on stdout:
 * - `dns`: every profile against `http://tailgate-test.invalid/api` (needs
 *   `--allow-net=tailgate-test.invalid,127.0.0.1`);
 * - `memory`: every profile at once against a mock that stalls every
 *   request, sampling heap (after `gc()`, needs `--v8-flags=--expose-gc`)
 *   and RSS between batches.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Client, type ClientOptions, createClient, PROFILES } from "../lib/client/mod.ts";
import { collect } from "../lib/records/collect.ts";
import { createFastClient } from "../lib/client/fast.ts";
import { isSuccess, type RequestRecord } from "../lib/record.ts";
import { runClosed } from "../lib/load/runner.ts";
import type { Summary } from "../lib/stats/summary.ts";
import { serveMock } from "../mock/server.ts";

/** A profile of the matrix. */
export type MatrixProfile = typeof PROFILES[number] | "fast";
/** Every profile the matrix covers: `PROFILES`, plus `fast` if it were ever dropped from them. */
export const MATRIX_PROFILES: readonly MatrixProfile[] = [
  ...new Set([...PROFILES, "fast"]),
] as MatrixProfile[];

/** Mock settings that answer in a few milliseconds, with no random slow path. */
export const QUICK_MOCK = {
  rttMs: 1,
  setupRtts: 0,
  serviceMedianMs: 2,
  serviceSigma: 0,
  slowRate: 0,
} as const;

/** How the `fast` profile was built: through `createClient` once it is wired there, else directly. */
export function fastWiring(): "createClient" | "createFastClient" {
  try {
    const c = createClient("fast", { concurrency: 1, timeoutMs: 1000 });
    void c.close();
    return "createClient";
  } catch {
    return "createFastClient";
  }
}

/** Creates a client for any matrix profile. */
export function matrixClient(profile: MatrixProfile, options: ClientOptions): Client {
  if (profile === "fast" && fastWiring() === "createFastClient") return createFastClient(options);
  return createClient(profile, options);
}

/** One profile's run of one case. */
export interface CaseRun {
  profile: MatrixProfile;
  /** Every record the runner yielded, in completion order. */
  records: RequestRecord[];
  summary: Summary;
  /** Wall time of the whole run, ms (for the time-bound assertion only). */
  elapsedMs: number;
}

/** Options of {@linkcode runCase}. */
export interface CaseOptions {
  /** Requests to start. */
  n: number;
  concurrency: number;
  timeoutMs: number;
  caCerts?: string[];
  /** Called after each record (e.g. to kill the server after k records). */
  onRecord?: (record: RequestRecord, index: number) => void;
  /** Reuse this client (its pool survives); it is not closed then. */
  client?: Client;
}

const BODY = new TextEncoder().encode('{"id":1,"prompt":"fault matrix","max_tokens":8}');

/** Runs `n` POSTs to `url` through a profile in a closed loop and keeps every record. */
export async function runCase(
  profile: MatrixProfile,
  url: string,
  options: CaseOptions,
): Promise<CaseRun> {
  const clientOptions: ClientOptions = {
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
  };
  if (options.caCerts) clientOptions.caCerts = options.caCerts;
  const client = options.client ?? matrixClient(profile, clientOptions);
  const records: RequestRecord[] = [];
  const t0 = performance.now();
  try {
    const builder = await collect(
      runClosed({
        client,
        concurrency: options.concurrency,
        requests: options.n,
        requestFor: () => ({
          url,
          method: "POST",
          headers: [["content-type", "application/json"]],
          body: BODY,
        }),
      }),
      {
        onRecord: (r) => {
          records.push(r);
          options.onRecord?.(r, records.length - 1);
        },
      },
    );
    return { profile, records, summary: builder.summary(), elapsedMs: performance.now() - t0 };
  } finally {
    if (!options.client) await client.close();
  }
}

/** Counts records by a key. */
export function tally(
  records: readonly RequestRecord[],
  key: (r: RequestRecord) => string | number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const k = String(key(r));
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Error kinds of the failed records, as the summary counts them. */
export function failedKinds(records: readonly RequestRecord[]): Record<string, number> {
  return tally(records.filter((r) => !isSuccess(r)), (r) => r.error === "" ? "other" : r.error);
}

/**
 * Checks that a run kept exactly one record per request started (ids 0…n-1,
 * each once) and that the summary's breakdown equals the records'.
 */
export function assertAccounted(run: CaseRun, n: number, label: string): void {
  assert.equal(run.records.length, n, `${label}: one record per request`);
  const ids = run.records.map((r) => r.id).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: n }, (_, i) => i), `${label}: ids 0…${n - 1} once`);
  assert.equal(run.summary.count, n, `${label}: summary count`);
  assert.deepEqual(
    run.summary.error_kinds,
    failedKinds(run.records),
    `${label}: summary error_kinds match the records`,
  );
  assert.deepEqual(
    run.summary.status_codes,
    tally(run.records, (r) => r.status),
    `${label}: summary status_codes match the records`,
  );
  assert.equal(
    run.summary.errors,
    run.records.filter((r) => !isSuccess(r)).length,
    `${label}: summary errors`,
  );
}

/** The outcome of a run as one short cell: `kind×count` (status in brackets when not 0). */
export function outcomeCell(run: CaseRun): string {
  const parts = Object.entries(tally(run.records, (r) => `${r.error || "ok"}[${r.status}]`))
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.replace("[0]", "")}×${v}`);
  return parts.join(", ");
}

/** A free loopback port with nothing listening on it (bound, then released). */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The DNS case, run in a subprocess with net access to the `.invalid` name. */
async function dnsMode(): Promise<unknown> {
  const out: Record<string, { kinds: Record<string, number>; summary: Summary; ids: number[] }> =
    {};
  await Promise.all(MATRIX_PROFILES.map(async (profile) => {
    const run = await runCase(profile, "http://tailgate-test.invalid/api", {
      n: 8,
      concurrency: 8,
      timeoutMs: 12_000,
    });
    out[profile] = {
      kinds: tally(run.records, (r) => `${r.error}[${r.status}]`),
      summary: run.summary,
      ids: run.records.map((r) => r.id),
    };
  }));
  return out;
}

interface MemorySample {
  heapUsed: number;
  rss: number;
}

function sample(): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = Deno.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** The memory case: stalled requests for every profile at once, sampled between batches. */
async function memoryMode(): Promise<unknown> {
  const server = serveMock({ ...QUICK_MOCK, stallRate: 1, stallMaxMs: 600_000 });
  const perBatch = 64;
  const concurrency = 8;
  const timeoutMs = 100;
  const batches = 4;
  const clients = MATRIX_PROFILES.map((p) => ({
    profile: p,
    client: matrixClient(p, { concurrency, timeoutMs }),
  }));
  const samples: MemorySample[] = [];
  const kinds: Record<string, number> = {};
  let records = 0;
  try {
    for (let b = 0; b < batches; b++) {
      const runs = await Promise.all(
        clients.map(({ profile, client }) =>
          runCase(profile, `${server.url}/api`, {
            n: perBatch,
            concurrency,
            timeoutMs,
            client,
          })
        ),
      );
      for (const run of runs) {
        records += run.records.length;
        for (const [k, v] of Object.entries(tally(run.records, (r) => r.error))) {
          kinds[k] = (kinds[k] ?? 0) + v;
        }
      }
      // Let the server notice the aborted stalls before sampling.
      await new Promise((r) => setTimeout(r, 50));
      samples.push(sample());
    }
  } finally {
    for (const { client } of clients) await client.close();
  }
  const stats = server.app.stats();
  await server.close();
  return {
    samples,
    records,
    kinds,
    requestsPerBatch: perBatch * clients.length,
    server: { requests: stats.requests.total, stalls: stats.stalls, faults: stats.faults.stall },
    gc: typeof (globalThis as { gc?: unknown }).gc === "function",
  };
}

if (import.meta.main) {
  const mode = Deno.args[0];
  const result = mode === "dns" ? await dnsMode() : mode === "memory" ? await memoryMode() : null;
  if (result === null) {
    console.error(`Unknown mode "${mode}": use dns or memory`);
    Deno.exit(2);
  }
  console.log(JSON.stringify(result));
}
