/**
 * The types every client engine shares: what to send ({@linkcode HttpRequest}),
 * what came back ({@linkcode Outcome}), and the {@linkcode Client} interface
 * that the load loops drive. Engines import only this file, so no engine
 * depends on another.
 *
 * @module
 */

import type { ErrorKind } from "../record.ts";

/** The client profiles tailgate offers. */
export const PROFILES = ["baseline", "optimized", "h1", "fresh", "fast", "fast-h2"] as const;
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
  /**
   * TCP connect of the connection this request opened (ms); absent or `null` when it reused one or
   * the engine cannot tell. On HTTP/2 (`fast-h2`), every request that waited for a connection's
   * setup carries the part of it after its own start (docs/phases.md).
   */
  connectMs?: number | null;
  /** TLS handshake of the connection this request opened (ms); absent or `null` as `connectMs`. */
  tlsMs?: number | null;
  /** Milliseconds from start to the first response body byte; absent or `null` when none arrived. */
  firstBodyMs?: number | null;
  /** Which connection carried the request, numbered from 1 per client; absent or `null` when unknown. */
  conn?: number | null;
  /**
   * Why the request failed, in the engine's or the runtime's words (an
   * error's message and its causes); absent on success, or when the kind
   * says it all. The summary shows the first few per kind; never a CSV column.
   */
  message?: string;
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
  /**
   * The protocol the server offers, found by the probe (`probe.ts`).
   * `optimized` speaks it: HTTP/2 (ALPN on https, prior knowledge on http)
   * when `h2`, HTTP/1.1 keep-alive with a pool sized to the concurrency
   * when `http/1.1`. Unset, `optimized` assumes h2 (prior knowledge on http).
   */
  protocol?: "h2" | "http/1.1";
  /**
   * `optimized` only: the protocol of each origin (`new URL(u).origin`) when
   * the requests span several (a targets file); an origin not listed speaks
   * `protocol`. Without it, one server that speaks h2c and another that
   * speaks only HTTP/1.1 would get HTTP/2 prior knowledge both.
   */
  originProtocols?: Record<string, "h2" | "http/1.1">;
  /**
   * Most idle keep-alive connections kept per client (`fast` engine only);
   * default: `concurrency`. A connection coming back to a full pool is
   * closed, as in Python requests' `pool_maxsize` (default 10) or Go's
   * `MaxIdleConnsPerHost` (default 2). 0 keeps none.
   */
  maxIdle?: number;
  /**
   * `false`: open a new connection for every request and close it after the
   * response (`fast` engine only; what a script without a session does).
   * Default `true`.
   */
  reuse?: boolean;
  /**
   * An idle connection older than this is closed instead of reused (`fast`
   * engine only); default 4000 ms, as undici, to dodge servers' keep-alive
   * timeouts.
   */
  idleTimeoutMs?: number;
  /** HTTP/2 connections per origin (`fast-h2`; default one per 100 in flight). */
  connections?: number;
  /** Concurrent streams per HTTP/2 connection (`fast-h2`; default in flight / connections). */
  streams?: number;
}

/** A client profile instance. */
export interface Client {
  readonly name: ProfileName;
  /** Connections this client has opened so far, when the engine counts them (`fast`, `fast-h2`). */
  readonly connectionsOpened?: number;
  /**
   * Requests re-sent, once each, on a new connection after their pooled one
   * turned out closed before any response byte, when the engine retries and
   * counts it (`fast`: idempotent methods only); absent when it does not.
   */
  readonly retries?: number;
  /**
   * Marks a pause that the measurement makes, not the client (the ladder's
   * block boundaries): while paused, a keep-alive pool keeps the connections
   * released (up to the concurrency) instead of cutting them to its idle
   * limit, since without the pause the next requests would take them at once.
   * Optional; engines without an idle limit ignore it.
   */
  pause?(paused: boolean): void;
  /** Sends one request; never rejects. */
  send(request: HttpRequest): Promise<Outcome>;
  /**
   * Optional fast path of `send` for the closed loop: sends one request and
   * calls `done` with its outcome straight from the engine's own I/O
   * continuation (sometimes synchronously, e.g. on a closed client), so the
   * caller's next request goes out before other completions are processed,
   * as in wrk's event loop. `done` must not throw. Never fails. The outcome
   * is valid during the call only: an engine may refill the same object for
   * a later request (`fast` keeps one per connection), so copy what you keep.
   *
   * `startedMs`, when given, is the request's start: a clock reading the
   * caller has just taken (the end of the request before it), which spares
   * the engine a reading of its own. The caller's few hundred nanoseconds of
   * bookkeeping in between then count in this request's latency.
   */
  sendThen?(request: HttpRequest, done: (outcome: Outcome) => void, startedMs?: number): void;
  /** Releases pooled connections. */
  close(): Promise<void>;
}
