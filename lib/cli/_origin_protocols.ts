/**
 * A targets file can span several servers: the protocol probe runs once per
 * origin, so `optimized` speaks each server's best protocol (h2c to one,
 * HTTP/1.1 to another) and a client that cannot speak what an origin offers
 * is warned about, naming that origin.
 *
 * @module
 */
import { probeProtocol, type ProbeResult } from "../client/probe.ts";
import { decideProtocol, type ProtocolDecision } from "./_protocol.ts";

/** Most origins probed (each probe is bounded by its timeout; they run together). */
export const MAX_PROBED_ORIGINS = 32;

/** What the other origins add to the run's decision. */
export interface OriginProtocols {
  /** Protocol per origin (every origin, the first included), for `optimized`; else `null`. */
  origins: Record<string, "h2" | "http/1.1"> | null;
  /** One line per origin whose protocol differs from the first origin's. */
  lines: string[];
  /** Warnings of the other origins, each naming its origin. */
  warnings: string[];
}

/**
 * The first URL of each origin in `urls`, in order, for at most `max` origins.
 *
 * @example
 * ```ts
 * import { urlPerOrigin } from "./_origin_protocols.ts";
 * urlPerOrigin(["http://a/1", "http://a/2", "http://b/"], 32); // Map { "http://a" => "http://a/1", "http://b" => "http://b/" }
 * ```
 */
export function urlPerOrigin(urls: readonly string[], max: number): Map<string, string> {
  const byOrigin = new Map<string, string>();
  for (const u of urls) {
    if (byOrigin.size >= max) break;
    const origin = new URL(u).origin;
    if (!byOrigin.has(origin)) byOrigin.set(origin, u);
  }
  return byOrigin;
}

/**
 * Probes every origin of `urls` but the first (already probed, its decision
 * given) and decides each one's protocol for the same client.
 *
 * @example
 * ```ts ignore
 * import { originProtocols } from "./_origin_protocols.ts";
 * const o = await originProtocols(urls, decision, { timeoutMs: 2000 }, 20);
 * o.origins; // { "http://127.0.0.2:8080": "h2", "http://127.0.0.2:8081": "http/1.1" }
 * ```
 */
export async function originProtocols(
  urls: readonly string[],
  first: ProtocolDecision,
  probeOptions: { timeoutMs: number; caCerts?: string[] },
  concurrency: number,
  probe: (url: string) => Promise<ProbeResult> = (u) => probeProtocol(u, probeOptions),
): Promise<OriginProtocols> {
  // The first origin, already probed, and at most MAX_PROBED_ORIGINS others.
  const byOrigin = urlPerOrigin(urls, MAX_PROBED_ORIGINS + 1);
  const [firstOrigin, ...rest] = [...byOrigin.keys()];
  const out: OriginProtocols = { origins: null, lines: [], warnings: [] };
  if (firstOrigin === undefined || rest.length === 0) return out;
  const decided = await Promise.all(rest.map(async (origin) => {
    const url = byOrigin.get(origin)!;
    const scheme = new URL(url).protocol === "https:" ? "https:" : "http:";
    return [
      origin,
      decideProtocol(first.client, true, scheme, await probe(url), concurrency),
    ] as const;
  }));
  const origins: Record<string, "h2" | "http/1.1"> = { [firstOrigin]: first.protocol };
  for (const [origin, d] of decided) {
    origins[origin] = d.protocol;
    if (d.warning) out.warnings.push(`${origin}: ${d.warning}`);
    if (d.protocol !== first.protocol) {
      out.lines.push(d.line.replace(/^protocol: /, `protocol for ${origin}: `));
    }
  }
  if (first.client === "optimized") out.origins = origins;
  return out;
}
