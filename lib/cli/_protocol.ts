/**
 * Which protocol a run speaks, decided once from the probe (`probe.ts`) and
 * the chosen client, with the one line that says which and why. Pure.
 *
 * @module
 */
import type { ProbeResult } from "../client/probe.ts";

/** The client profile bench uses when `--client` is not given. */
export const DEFAULT_CLIENT = "fast";

/** What a run will speak, and the words for it. */
export interface ProtocolDecision {
  /** The profile to run (the default may be switched for an HTTP/2-only server). */
  client: string;
  /** The protocol that profile will speak to this server. */
  protocol: "h2" | "http/1.1";
  /** One line for the console, e.g. `protocol: HTTP/1.1 keep-alive (optimized: …)`. */
  line: string;
  /** A warning line when the client cannot speak what the server offers, else `null`. */
  warning: string | null;
  /**
   * `optimized` against a targets file spanning several origins: each
   * origin's protocol (`_origin_protocols.ts`); else absent.
   */
  origins?: Record<string, "h2" | "http/1.1">;
  /** For the JSON and the sidecar. */
  record: {
    client: string;
    protocol: "h2" | "http/1.1";
    reason: string;
    probe: { via: ProbeResult["via"]; http1: boolean | null; unreachable: string | null };
    origins?: Record<string, "h2" | "http/1.1">;
  };
}

/** One-line meaning of every profile (for `bench --help`). */
export const PROFILE_MEANINGS: Record<string, string> = {
  fast:
    "tailgate's own HTTP/1.1 keep-alive engine on raw sockets (HTTPS too): one connection per request in flight, no silent retry (default)",
  optimized:
    "the best protocol the server offers, found by a probe before the run: HTTP/2 (ALPN on https, prior knowledge on http), else HTTP/1.1 keep-alive with a pool sized to -c",
  baseline:
    "Deno's fetch with runtime defaults, as an unchanged script would send (HTTP/2 by ALPN on https, HTTP/1.1 on http)",
  h1: "fetch, HTTP/1.1 only, keep-alive pool sized to -c",
  fresh: "fetch, HTTP/1.1, a new connection for every request (no reuse)",
  "fast-h2":
    "tailgate's own HTTP/2 engine on raw sockets (h2c prior knowledge on http, ALPN on https)",
};

const NAME = { "h2": "HTTP/2", "http/1.1": "HTTP/1.1" } as const;

/**
 * Decides the protocol of a run from the probe and the profile, and whether
 * the default client must give way (an HTTP/2-only server cannot be
 * measured with an HTTP/1.1 engine; the default then becomes `optimized`).
 *
 * @param explicit whether the user chose `--client` (never overridden then).
 *
 * @example
 * ```ts
 * import { decideProtocol } from "./_protocol.ts";
 * const d = decideProtocol("optimized", true, "http:", {
 *   protocol: "http/1.1", via: "prior-knowledge", http1: true, unreachable: null,
 *   reason: "the server does not speak HTTP/2 with prior knowledge (it replied in HTTP/1.x)",
 * }, 10);
 * d.protocol; // "http/1.1"
 * ```
 */
export function decideProtocol(
  profile: string,
  explicit: boolean,
  scheme: "http:" | "https:",
  probe: ProbeResult,
  concurrency: number,
): ProtocolDecision {
  let client = profile;
  let protocol: "h2" | "http/1.1";
  let why: string;
  let warning: string | null = null;
  const h2Only = probe.protocol === "h2" && probe.http1 === false;
  const retry = ": expect protocol errors, or use --client optimized";
  if (h2Only && !explicit && (profile === "fast" || profile === "h1" || profile === "fresh")) {
    client = "optimized";
    why =
      `the default client fast speaks HTTP/1.1 only, and ${probe.reason}: optimized is used instead`;
    protocol = "h2";
  } else if (client === "optimized") {
    protocol = probe.protocol;
    why = `optimized chose it: ${probe.reason}`;
  } else if (client === "fast-h2") {
    protocol = "h2";
    why = "fast-h2 speaks HTTP/2 only";
    if (probe.protocol !== "h2" && probe.via !== "unreachable") {
      warning = `warning: fast-h2 speaks HTTP/2 only, and ${probe.reason}${retry}`;
    }
  } else if (client === "baseline" && scheme === "https:") {
    protocol = probe.protocol;
    why = `baseline (fetch) negotiates by ALPN: ${probe.reason}`;
  } else {
    protocol = "http/1.1";
    why = client === "baseline"
      ? "baseline (fetch) speaks HTTP/1.1 on http://"
      : `${client} speaks HTTP/1.1 only`;
    if (h2Only) warning = `warning: ${client} speaks HTTP/1.1 only, and ${probe.reason}${retry}`;
  }
  const pool = protocol === "http/1.1" && client !== "fresh" && client !== "baseline"
    ? ` keep-alive, up to ${concurrency} connection${concurrency === 1 ? "" : "s"}`
    : "";
  const via = protocol === "h2"
    ? scheme === "https:" ? " by ALPN" : " with prior knowledge (h2c)"
    : "";
  return {
    client,
    protocol,
    line: `protocol: ${NAME[protocol]}${via}${pool} (${why})`,
    warning,
    record: {
      client,
      protocol,
      reason: why,
      probe: { via: probe.via, http1: probe.http1, unreachable: probe.unreachable },
    },
  };
}
