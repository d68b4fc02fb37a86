/**
 * Client profiles: the only network I/O in tailgate. Each profile sends one
 * request and reports its {@linkcode Outcome}, failures included; it never
 * throws for a network or HTTP failure.
 *
 * Profiles:
 * - `baseline`: the global `fetch` with runtime defaults (what an unchanged script does).
 * - `optimized`: the best protocol the server offers, as found by the probe
 *   (`options.protocol`): HTTP/2 (ALPN on `https://`, prior knowledge on
 *   `http://`), else HTTP/1.1 keep-alive, with a pool sized to the concurrency.
 * - `h1`: HTTP/1.1 only, keep-alive pool sized to the concurrency.
 * - `fresh`: a new connection for every request (no reuse).
 * - `fast`: tailgate's own HTTP/1.1 keep-alive engine over raw sockets
 *   (one connection per concurrency slot, no silent retry); see `fast.ts`.
 * - `fast-h2`: tailgate's own HTTP/2 engine over raw sockets (`connections` ×
 *   `streams`, no silent retry); see `fast_h2.ts`.
 *
 * @module
 */
import { createFastClient } from "./fast.ts";
import { createFastH2Client } from "./fast_h2.ts";
import { FetchClient, type HttpClientRouter } from "./fetch.ts";
import { type Client, type ClientOptions, PROFILES } from "./types.ts";

export * from "./types.ts";

/**
 * Creates a client for a profile.
 *
 * @throws {TypeError} for an unknown profile name.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "./mod.ts";
 * const client = createClient("optimized", { concurrency: 20, timeoutMs: 30_000 });
 * const outcome = await client.send({ url: "http://127.0.0.1:8080/api", method: "GET", headers: [], body: null });
 * await client.close();
 * ```
 */
export function createClient(name: string, options: ClientOptions): Client {
  const tls: Deno.CreateHttpClientOptions = {};
  if (options.caCerts?.length) tls.caCerts = options.caCerts;
  const pool = Math.max(1, options.concurrency);
  switch (name) {
    case "baseline":
      if (options.caCerts?.length) {
        // fetch has no per-call CA option; a default-configured client is the closest equivalent.
        return new FetchClient("baseline", options.timeoutMs, Deno.createHttpClient(tls), null);
      }
      return new FetchClient("baseline", options.timeoutMs, null, null);
    case "optimized": {
      const make = (h1: boolean) =>
        Deno.createHttpClient({ ...tls, http1: h1, http2: !h1, poolMaxIdlePerHost: pool });
      const h1 = options.protocol === "http/1.1";
      const origins = options.originProtocols ?? {};
      const speaks = new Set(Object.values(origins));
      if (speaks.size === 0 || (speaks.size === 1 && speaks.has(h1 ? "http/1.1" : "h2"))) {
        return new FetchClient("optimized", options.timeoutMs, make(h1), null);
      }
      // Origins that differ: one HTTP/1.1 and one HTTP/2 client, each request routed by origin.
      return new FetchClient(
        "optimized",
        options.timeoutMs,
        null,
        null,
        originRouter(origins, h1 ? "http/1.1" : "h2", { h2: make(false), "http/1.1": make(true) }),
      );
    }
    case "h1":
      return new FetchClient(
        "h1",
        options.timeoutMs,
        Deno.createHttpClient({ ...tls, http1: true, http2: false, poolMaxIdlePerHost: pool }),
        null,
      );
    case "fresh":
      return new FetchClient(
        "fresh",
        options.timeoutMs,
        null,
        () => Deno.createHttpClient({ ...tls, http1: true, http2: false, poolMaxIdlePerHost: 0 }),
      );
    case "fast":
      return createFastClient(options);
    case "fast-h2":
      return createFastH2Client(options);
    default:
      throw new TypeError(
        `Unknown client profile "${name}": use one of ${PROFILES.join(", ")}`,
      );
  }
}

/** Routes each request to the client of its origin's protocol (cached per URL string). */
function originRouter(
  origins: Record<string, "h2" | "http/1.1">,
  fallback: "h2" | "http/1.1",
  clients: Record<"h2" | "http/1.1", Deno.HttpClient>,
): HttpClientRouter {
  const byUrl = new Map<string, Deno.HttpClient>();
  return {
    pick(url: string): Deno.HttpClient {
      let c = byUrl.get(url);
      if (c === undefined) {
        let origin = "";
        try {
          origin = new URL(url).origin;
        } catch { /* an unparsable URL fails in fetch itself, with its own message */ }
        c = clients[origins[origin] ?? fallback];
        if (byUrl.size < 10_000) byUrl.set(url, c);
      }
      return c;
    },
    all: [clients.h2, clients["http/1.1"]],
  };
}
