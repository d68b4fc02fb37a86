/**
 * `FetchClient`: the fetch-based profiles (`baseline`, `optimized`, `h1`,
 * `fresh`). Deno's `fetch` retries once after a connection reset and does not
 * say which protocol it used; see docs/failures.md.
 *
 * Phases (docs/phases.md): `fetch` exposes no connection, so `connectMs`,
 * `tlsMs` and `conn` stay `null` (its connect and handshake are inside
 * `ttfbMs`, taken when `fetch()` resolves with the headers). `firstBodyMs` is
 * taken at the body reader's first chunk, for bodies read as a stream (no
 * `Content-Length`, or over 1 MiB: a streamed response's first token); a
 * body read whole with `arrayBuffer()` leaves it `null`.
 *
 * @module
 */
import { now } from "../clock.ts";
import { errorForStatus, type ErrorKind } from "../record.ts";
import { classifyError, describeError, isCanceledConnect } from "./_classify_error.ts";
import type { Client, HttpRequest, Outcome, ProfileName } from "./types.ts";

type FetchInit = RequestInit & { client?: Deno.HttpClient };

/** Bodies up to this size (by Content-Length) are read with `arrayBuffer()`. */
const ARRAY_BUFFER_MAX = 1024 * 1024;

/** Shared clients chosen per request (e.g. by origin), all closed with the client. */
export interface HttpClientRouter {
  /** The client for this request URL. */
  pick(url: string): Deno.HttpClient;
  /** Every client it may pick. */
  all: Deno.HttpClient[];
}

/** One request in flight, watched by the sweeper. */
interface Flight {
  deadline: number;
  controller: AbortController;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
  timedOut: boolean;
}

/**
 * A profile built on `fetch`, with a shared or per-request `Deno.HttpClient`.
 *
 * The timeout covers the whole request, body included: one sweeper timer
 * (resolution a tenth of the timeout, between 5 ms and 250 ms, as in
 * `fast.ts`) aborts the request and cancels its body reader when its
 * deadline passes; no timer is created per request. A request that times
 * out keeps the status and the body bytes that had arrived.
 */
export class FetchClient implements Client {
  readonly name: ProfileName;
  #timeoutMs: number;
  #makeClient: (() => Deno.HttpClient) | null;
  #shared: Deno.HttpClient | null;
  #router: HttpClientRouter | null;
  #inFlight = new Set<Flight>();
  #sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    name: ProfileName,
    timeoutMs: number,
    shared: Deno.HttpClient | null,
    perRequest: (() => Deno.HttpClient) | null,
    router: HttpClientRouter | null = null,
  ) {
    this.#router = router;
    this.name = name;
    this.#timeoutMs = timeoutMs;
    this.#shared = shared;
    this.#makeClient = perRequest;
  }

  #startSweeper(): void {
    if (this.#sweeper !== null) return;
    const tick = Math.min(250, Math.max(5, this.#timeoutMs / 10));
    this.#sweeper = setInterval(() => {
      const t = now();
      for (const f of this.#inFlight) if (f.deadline <= t) this.#expire(f);
    }, tick);
    // The requests themselves keep the process alive, not the sweeper.
    Deno.unrefTimer(this.#sweeper);
  }

  #expire(f: Flight): void {
    if (f.timedOut) return;
    f.timedOut = true;
    this.#lastExpiryMs = now();
    this.#inFlight.delete(f);
    f.controller.abort(new DOMException("The request timed out", "TimeoutError"));
    // Aborting does not always stop a body that keeps streaming: cancel the read too.
    f.reader?.cancel().catch(() => {});
  }

  async send(req: HttpRequest): Promise<Outcome> {
    const own = this.#makeClient ? this.#makeClient() : null;
    const controller = new AbortController();
    const init: FetchInit = {
      method: req.method,
      headers: req.headers as [string, string][],
      signal: controller.signal,
      redirect: "manual", // one rule for every profile: a 3xx is the answer (docs/failures.md)
    };
    if (req.body !== null) init.body = req.body;
    const httpClient = own ?? this.#router?.pick(req.url) ?? this.#shared;
    if (httpClient) init.client = httpClient;
    this.#startSweeper();
    const startedMs = now();
    const flight: Flight = {
      deadline: startedMs + this.#timeoutMs,
      controller,
      reader: null,
      timedOut: false,
    };
    this.#inFlight.add(flight);
    let ttfbMs: number | null = null;
    let firstBodyMs: number | null = null;
    let status = 0;
    let bytes = 0;
    try {
      const res = await fetch(req.url, init);
      ttfbMs = now() - startedMs;
      status = res.status;
      if (res.body) {
        const length = res.headers.get("content-length");
        if (length !== null && Number(length) <= ARRAY_BUFFER_MAX) {
          // A bounded body in one call: half the CPU of reading it chunk by chunk (measured
          // 86 vs 171 µs per request). If it times out mid-way, fetch does not say how much
          // had arrived: the row then shows 0 bytes.
          bytes = (await res.arrayBuffer()).byteLength;
        } else {
          // Unknown or large length (chunked, possibly endless): read it as a stream, so
          // the bytes are counted as they come and the sweeper can cancel the read.
          const reader = res.body.getReader();
          flight.reader = reader;
          if (flight.timedOut) reader.cancel().catch(() => {});
          for (let r = await reader.read(); !r.done; r = await reader.read()) {
            if (firstBodyMs === null && r.value.byteLength > 0) firstBodyMs = now() - startedMs;
            bytes += r.value.byteLength;
          }
        }
      }
      const endMs = now();
      const error = flight.timedOut ? "timeout" : errorForStatus(status);
      return { startedMs, endMs, ttfbMs, status, bytes, error, firstBodyMs };
    } catch (err) {
      if (flight.timedOut) {
        return { startedMs, endMs: now(), ttfbMs, status, bytes, error: "timeout", firstBodyMs };
      }
      const error = await this.#connectAware(err);
      const out: Outcome = { startedMs, endMs: now(), ttfbMs, status, bytes, error, firstBodyMs };
      // A waiter given its connect's cause says only "request was canceled": the cause's own
      // message is on the request that made the attempt.
      if (error === "other" || !isCanceledConnect(err)) out.message = describeError(err);
      return out;
    } finally {
      this.#inFlight.delete(flight);
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
    // The connect this request waited on was given up because its own request timed out
    // (the sweeper expires requests a tick apart, a per-request timer would not have).
    if (now() - this.#lastExpiryMs < 1000) return "timeout";
    const timeout = new Promise<ErrorKind>((r) => setTimeout(() => r("other"), 250));
    return await Promise.race([this.#connectFailure.promise, timeout]);
  }

  #lastConnectKind: ErrorKind | null = null;
  #lastExpiryMs = -Infinity;
  #connectFailure = Promise.withResolvers<ErrorKind>();

  close(): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#shared?.close();
    for (const c of this.#router?.all ?? []) c.close();
    return Promise.resolve();
  }
}
