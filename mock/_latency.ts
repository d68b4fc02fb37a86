/**
 * The mock's latency model, pure: a lognormal service time plus a rare slow
 * path. Network costs (round trip, connection setup) are added by the app.
 *
 * @module
 */
import type { Rng } from "../lib/rng.ts";
import type { MockConfig } from "./_options.ts";

/** One request's server-side time, in ms. */
export interface ServiceDraw {
  /** Lognormal service time. */
  serviceMs: number;
  /** Extra time on the slow path, 0 when not taken. */
  slowMs: number;
}

/**
 * Draws one request's service time. Always consumes exactly four uniforms
 * (two for the normal, one for the slow-path coin, one for its length), so
 * changing a rate never shifts the other draws.
 *
 * @example
 * ```ts
 * import { createRng } from "../lib/rng.ts";
 * import { DEFAULT_MOCK_CONFIG } from "./_options.ts";
 * import { drawService } from "./_latency.ts";
 * drawService(createRng(1), DEFAULT_MOCK_CONFIG).serviceMs > 0; // true
 * ```
 */
export function drawService(
  rng: Rng,
  config: Pick<
    MockConfig,
    "serviceMedianMs" | "serviceSigma" | "slowRate" | "slowMinMs" | "slowMaxMs"
  >,
): ServiceDraw {
  const serviceMs = config.serviceMedianMs * Math.exp(config.serviceSigma * rng.normal());
  const slow = rng.chance(config.slowRate);
  const extra = rng.uniform(config.slowMinMs, config.slowMaxMs);
  return { serviceMs, slowMs: slow ? extra : 0 };
}
