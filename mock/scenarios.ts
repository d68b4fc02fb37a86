/**
 * Named network presets for the mock (`serve --scenario NAME`,
 * `suite --scenario NAME`): where the client sits relative to the API, and
 * how many round trips a new connection costs. A preset sets only the
 * network (`rttMs`, `setupRtts`); the service time and faults stay at their
 * defaults, and every client is served by the same configuration, so no
 * preset favours one client. Flags given next to `--scenario` override it.
 *
 * Where the numbers come from:
 * - Same region: Azure documents that "availability zones are connected by a
 *   high-performance network with a round-trip latency of less than
 *   approximately 2 ms" (learn.microsoft.com, Azure reliability,
 *   "What are availability zones?", text of early 2025). 2 ms is the
 *   cross-zone worst case; same-zone traffic is lower still.
 * - Cross region: Azure's "Network round-trip latency statistics"
 *   (learn.microsoft.com/azure/networking/azure-network-latency, October
 *   2019 figures) gives 5–72 ms for round trips within North America and
 *   3–28 ms within Europe; a measured eu-west-1 ↔ ca-central-1 (Ireland ↔
 *   Canada) AWS ping of 78.75 ms is reported at
 *   fed135.medium.com ("AWS region to region latency calculator", 2021).
 *   80 ms stands for a transatlantic API call.
 * - Setup round trips before the first request byte can be answered: TCP's
 *   three-way handshake costs 1 RTT (RFC 9293 §3.5); a full TLS 1.3
 *   handshake 1 RTT (RFC 8446 §2, "1-RTT"); a full TLS 1.2 handshake 2 RTTs
 *   (RFC 5246 §7.3, two flights each way before application data). So
 *   HTTPS over TLS 1.3 is 2 RTTs, over TLS 1.2 3 RTTs. The mock's default
 *   of 3 adds about one RTT of TCP slow start for a cold connection
 *   (`mock/_options.ts`).
 *
 * @module
 */
import type { MockConfig } from "./_options.ts";

/** One named preset. */
export interface MockScenario {
  /** One line for `--help`. */
  summary: string;
  /** The config fields it sets (network only). */
  config: Readonly<Pick<MockConfig, "rttMs" | "setupRtts">>;
  /** Where the numbers come from. */
  source: string;
}

/** Every preset, by name. `default` is the mock's own defaults, for symmetry. */
export const MOCK_SCENARIOS: Readonly<Record<string, MockScenario>> = Object.freeze({
  default: {
    summary: "the mock's defaults: 40 ms RTT, 3 RTT setup (TCP + TLS 1.3 + slow start)",
    config: { rttMs: 40, setupRtts: 3 },
    source: "mock/_options.ts defaults (a remote inference API over a WAN)",
  },
  "same-region": {
    summary: "client and API in one cloud region: 2 ms RTT, HTTPS with TLS 1.3 (2 RTT setup)",
    config: { rttMs: 2, setupRtts: 2 },
    source: "Azure availability zones: round trip < ~2 ms; TCP 1 RTT (RFC 9293) + TLS 1.3 1 RTT " +
      "(RFC 8446)",
  },
  "cross-region": {
    summary: "API on another continent: 80 ms RTT, HTTPS with TLS 1.3 (2 RTT setup)",
    config: { rttMs: 80, setupRtts: 2 },
    source: "Azure inter-region statistics (5–72 ms within North America); measured " +
      "eu-west-1 ↔ ca-central-1 78.75 ms; TCP 1 RTT + TLS 1.3 1 RTT (RFC 9293, RFC 8446)",
  },
  "cross-region-tls12": {
    summary: "as cross-region, but TLS 1.2: 80 ms RTT, 3 RTT setup",
    config: { rttMs: 80, setupRtts: 3 },
    source: "as cross-region; a full TLS 1.2 handshake takes 2 RTTs (RFC 5246)",
  },
});

/** Scenario names, in `--help` order. */
export const SCENARIO_NAMES: readonly string[] = Object.freeze(Object.keys(MOCK_SCENARIOS));

/**
 * The config fields of a named preset.
 *
 * @throws {TypeError} for an unknown name, listing the known ones.
 *
 * @example
 * ```ts
 * import { scenarioConfig } from "./scenarios.ts";
 * scenarioConfig("cross-region"); // { rttMs: 80, setupRtts: 2 }
 * ```
 */
export function scenarioConfig(name: string): Pick<MockConfig, "rttMs" | "setupRtts"> {
  const s = Object.hasOwn(MOCK_SCENARIOS, name) ? MOCK_SCENARIOS[name] : undefined;
  if (s === undefined) {
    throw new TypeError(`Unknown scenario "${name}": use one of ${SCENARIO_NAMES.join(", ")}`);
  }
  return { ...s.config };
}
