/**
 * Client profiles: the only network I/O in tailgate. Each profile sends one
 * request and reports its {@linkcode Outcome}, failures included; it never
 * throws for a network or HTTP failure.
 *
 * Profiles:
 * - `baseline`: the global `fetch` with runtime defaults (what an unchanged script does).
 * - `optimized`: `Deno.createHttpClient` with HTTP/2 (h2c prior knowledge on
 *   `http://`, ALPN on `https://`) and a keep-alive pool sized to the concurrency.
 * - `h1`: HTTP/1.1 only, keep-alive pool sized to the concurrency.
 * - `fresh`: a new connection for every request (no reuse).
 * - `fast`: tailgate's own HTTP/1.1 keep-alive engine over raw sockets
 *   (one connection per concurrency slot, no silent retry); see `fast_client.ts`.
 *
 * @module
 */
import { now } from "../clock.ts";
import { errorForStatus, type ErrorKind } from "../record.ts";
import { classifyError, isCanceledConnect } from "./_classify_error.ts";
import { createFastClient } from "./fast.ts";

/** The client profiles tailgate offers. */
export const PROFILES = ["baseline", "optimized", "h1", "fresh", "fast"] as const;
/** A client profile name. */
export type ProfileName = typeof PROFILES[number];

/** One HTTP request to send. */
export interface HttpRequest {
  url: string;
  method: string;
  /** Header pairs, in order. */
  headers: readonly (readonly [string, string])[];
  /** Body bytes, or `null` for none. */
  body: Uint8Array<ArrayBuffer> | null;
}

/** What one request produced, as seen by the client. */
export interface Outcome {
  /** Epoch ms when the request was handed to the network stack. */
  startedMs: number;
  /** Epoch ms when the last body byte arrived, or the request failed. */
  endMs: number;
  /** Milliseconds from start to response headers, `null` when none arrived. */
  ttfbMs: number | null;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  /** Body bytes received. */
  bytes: number;
  /** Error kind, `""` on success (HTTP 4xx/5xx map to `http_4xx`/`http_5xx`). */
  error: ErrorKind;
}

/** Options shared by every profile. */
export interface ClientOptions {
  /** Requests in flight at most; pools are sized to it. */
  concurrency: number;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** Extra CA certificates (PEM) to trust for HTTPS. */
  caCerts?: string[];
  /** Skip TLS verification (only where the runtime allows it). */
  insecure?: boolean;
}

/** A client profile instance. */
export interface Client {
  readonly name: ProfileName;
  /** Sends one request; never rejects. */
  send(request: HttpRequest): Promise<Outcome>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

type FetchInit = RequestInit & { client?: Deno.HttpClient };

class FetchClient implements Client {
  readonly name: ProfileName;
  #timeoutMs: number;
  #makeClient: (() => Deno.HttpClient) | null;
  #shared: Deno.HttpClient | null;

  constructor(
    name: ProfileName,
    timeoutMs: number,
    shared: Deno.HttpClient | null,
    perRequest: (() => Deno.HttpClient) | null,
  ) {
    this.name = name;
    this.#timeoutMs = timeoutMs;
    this.#shared = shared;
    this.#makeClient = perRequest;
  }

  async send(req: HttpRequest): Promise<Outcome> {
    const own = this.#makeClient ? this.#makeClient() : null;
    const init: FetchInit = {
      method: req.method,
      headers: req.headers as [string, string][],
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    if (req.body !== null) init.body = req.body;
    const httpClient = own ?? this.#shared;
    if (httpClient) init.client = httpClient;
    const startedMs = now();
    let ttfbMs: number | null = null;
    let status = 0;
    let bytes = 0;
    try {
      const res = await fetch(req.url, init);
      ttfbMs = now() - startedMs;
      status = res.status;
      if (res.body) {
        for await (const chunk of res.body) bytes += chunk.byteLength;
      }
      return { startedMs, endMs: now(), ttfbMs, status, bytes, error: errorForStatus(status) };
    } catch (err) {
      const error = await this.#connectAware(err);
      return { startedMs, endMs: now(), ttfbMs, status: 0, bytes, error };
    } finally {
      own?.close();
    }
  }

  /**
   * On HTTP/2, requests waiting for a connection that failed get a bare
   * "request was canceled" with no cause; the cause is on the one request
   * that made the connect attempt. Attribute waiters to that cause (waiting
   * briefly for it to be seen), and say `other` only when none shows up.
   */
  async #connectAware(err: unknown): Promise<ErrorKind> {
    if (!isCanceledConnect(err)) {
      const kind = classifyError(err);
      if (kind === "connect_refused" || kind === "dns" || kind === "tls") {
        this.#connectFailure.resolve(kind);
        this.#lastConnectKind = kind;
      }
      return kind;
    }
    if (this.#lastConnectKind) return this.#lastConnectKind;
    const timeout = new Promise<ErrorKind>((r) => setTimeout(() => r("other"), 250));
    return await Promise.race([this.#connectFailure.promise, timeout]);
  }

  #lastConnectKind: ErrorKind | null = null;
  #connectFailure = Promise.withResolvers<ErrorKind>();

  close(): Promise<void> {
    this.#shared?.close();
    return Promise.resolve();
  }
}

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
    case "optimized":
      return new FetchClient(
        "optimized",
        options.timeoutMs,
        Deno.createHttpClient({ ...tls, http1: false, http2: true, poolMaxIdlePerHost: pool }),
        null,
      );
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
    default:
      throw new TypeError(
        `Unknown client profile "${name}": use one of ${PROFILES.join(", ")}`,
      );
  }
}
