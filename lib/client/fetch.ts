/**
 * `FetchClient`: the fetch-based profiles (`baseline`, `optimized`, `h1`,
 * `fresh`). Deno's `fetch` retries once after a connection reset and does not
 * say which protocol it used; see docs/failures.md.
 *
 * @module
 */
import { now } from "../clock.ts";
import { errorForStatus, type ErrorKind } from "../record.ts";
import { classifyError, isCanceledConnect } from "./_classify_error.ts";
import type { Client, HttpRequest, Outcome, ProfileName } from "./types.ts";

type FetchInit = RequestInit & { client?: Deno.HttpClient };

/** A profile built on `fetch`, with a shared or per-request `Deno.HttpClient`. */
export class FetchClient implements Client {
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
      redirect: "manual", // one rule for every profile: a 3xx is the answer (docs/failures.md)
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
