/**
 * The inputs `tailgate compare` reads beside its two CSVs: their sidecars and
 * `--mock-stats` (one suite report or two `/stats` documents), and the
 * attribution made from the latter.
 *
 * @module
 */
import type { LoadedRun } from "../records/load_run.ts";
import { readRunMeta, type RunMeta } from "../records/run_meta.ts";
import { type Attribution, maxInFlight } from "../stats/attribution.ts";
import {
  attributeFromMockStats,
  mockStatsOfReport,
  type MockStatsPair,
} from "../stats/mock_stats.ts";
import type { Summary } from "../stats/summary.ts";
import { UsageError } from "./_usage_error.ts";
import { BoundedReadError, readBounded } from "../read_bounded.ts";

/** The largest `--mock-stats` file read: a suite report or a `/stats` document is kilobytes. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** A CSV's sidecar, or `null` when it has none or an unreadable one (nothing to check then). */
export async function sidecar(csvPath: string): Promise<RunMeta | null> {
  try {
    return await readRunMeta(csvPath);
  } catch {
    return null;
  }
}
/** Reads a JSON file, as a UsageError naming the flag. */
async function readJson(path: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readBounded(path, MAX_JSON_BYTES));
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "file not found"
      : err instanceof BoundedReadError
      ? err.message
      : (err as Error).message.split("\n")[0];
    throw new UsageError(`Cannot read ${flag} ${path}: ${why}; check the path`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`Cannot read ${flag} ${path}: not JSON: ${(err as Error).message}`);
  }
}

/** Reads `--mock-stats`: one suite report, or two `/stats` documents. */
export async function readMockStats(paths: string[]): Promise<MockStatsPair | null> {
  if (paths.length === 0) return null;
  if (paths.length === 1) {
    const pair = mockStatsOfReport(await readJson(paths[0]!, "--mock-stats"));
    if (pair === null) {
      throw new UsageError(
        `Cannot read --mock-stats ${
          paths[0]
        }: it has no mock.baseline and mock.optimized; pass a suite's comparison_report.json, or two /stats files (--mock-stats a.json --mock-stats b.json)`,
      );
    }
    return pair;
  }
  if (paths.length === 2) {
    return {
      a: await readJson(paths[0]!, "--mock-stats"),
      b: await readJson(paths[1]!, "--mock-stats"),
      concurrency: null,
    };
  }
  throw new UsageError(
    `Option --mock-stats takes one suite report or two /stats files, got ${paths.length}`,
  );
}

/** Attribution of B − A from the mock's stats and the runs; a UsageError on bad stats. */
export function attributionOf(
  runs: [LoadedRun, LoadedRun],
  summaries: [Summary, Summary],
  mock: MockStatsPair,
): Attribution | null {
  const side = (name: string, r: LoadedRun, summary: Summary, stats: unknown) => ({
    name,
    summary,
    stats,
    maxInFlight: mock.concurrency ??
      (r.intervals ? maxInFlight(r.intervals.starts, r.intervals.latencies) : null),
  });
  try {
    return attributeFromMockStats(
      side("A", runs[0], summaries[0], mock.a),
      side("B", runs[1], summaries[1], mock.b),
    );
  } catch (err) {
    throw new UsageError(`Cannot attribute the difference: ${(err as Error).message}`);
  }
}
