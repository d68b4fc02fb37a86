/**
 * Whether two runs can be compared at all: the same target, method and
 * requests (from their `.meta.json` sidecars), and each with at least one
 * successful request. Pure: callers read the sidecars and summaries.
 *
 * @module
 */
import type { RunMeta } from "../records/run_meta.ts";
import type { Summary } from "../stats/summary.ts";

/** The request identity a sidecar records. */
function identity(meta: RunMeta): { target: string; method: string; digest: string | null } {
  const c = meta.config;
  return {
    target: typeof c.url === "string" ? c.url : "?",
    method: typeof c.method === "string" ? c.method : "?",
    digest: typeof c.request_digest === "string" ? c.request_digest : null,
  };
}

/**
 * What differs between two runs' requests, one phrase each (empty when
 * nothing does, or when a sidecar is missing: nothing to check then).
 *
 * @example
 * ```ts
 * import { requestDifferences } from "./_comparable.ts";
 * const meta = (url: string) => ({ run_id: "r", config_digest: "0".repeat(64), worker: 0, workers: 1,
 *   tool: "tailgate 0.1.0", started_at: "2026-01-01T00:00:00Z", config: { url, method: "GET" } });
 * requestDifferences(meta("http://a/"), meta("http://b/"));
 * // ["the targets differ: A http://a/, B http://b/"]
 * ```
 */
export function requestDifferences(a: RunMeta | null, b: RunMeta | null): string[] {
  if (a === null || b === null) return [];
  const ia = identity(a);
  const ib = identity(b);
  const out: string[] = [];
  if (ia.target !== ib.target) out.push(`the targets differ: A ${ia.target}, B ${ib.target}`);
  if (ia.method !== ib.method) out.push(`the methods differ: A ${ia.method}, B ${ib.method}`);
  if (
    out.length === 0 && ia.digest !== null && ib.digest !== null && ia.digest !== ib.digest
  ) {
    out.push(
      `the requests differ (headers or body): request digests ${ia.digest.slice(0, 12)}… and ${
        ib.digest.slice(0, 12)
      }…`,
    );
  }
  return out;
}

/**
 * The one line that says a run failed (no request succeeded), so it gets
 * no latency or throughput verdict; `null` when both runs have successes.
 *
 * @example
 * ```ts
 * import { failedRunLine } from "./_comparable.ts";
 * failedRunLine(["A", "a.csv"], { count: 10, successes: 10, error_kinds: {} },
 *   ["B", "b.csv"], { count: 5, successes: 0, error_kinds: { connect_refused: 5 } });
 * // "Run B (b.csv) failed: none of its 5 requests succeeded (connect_refused 5); no latency or throughput verdict"
 * ```
 */
export function failedRunLine(
  a: [string, string],
  sa: Pick<Summary, "count" | "successes" | "error_kinds">,
  b: [string, string],
  sb: Pick<Summary, "count" | "successes" | "error_kinds">,
): string | null {
  const failed = [[a, sa], [b, sb]].filter(([, s]) => (s as typeof sa).successes === 0) as [
    [string, string],
    typeof sa,
  ][];
  if (failed.length === 0) return null;
  const parts = failed.map(([[name, path], s]) => {
    const kinds = Object.entries(s.error_kinds).map(([k, n]) => `${k} ${n}`).join(", ");
    return `Run ${name} (${path}) failed: none of its ${s.count} requests succeeded${
      kinds ? ` (${kinds})` : ""
    }`;
  });
  return `${parts.join("; ")}; no latency or throughput verdict`;
}
