/**
 * The `fast` client profile: a raw HTTP/1.1 keep-alive engine over
 * `Deno.connect` / `Deno.connectTls`, built to drive as much load as wrk
 * while measuring each request the same way as the fetch-based profiles.
 *
 * - One connection per request in flight; idle connections are pooled (at
 *   most `maxIdle` of them, default `concurrency`) and reused; a connection
 *   that comes back to a full pool is closed; an idle connection older than
 *   `idleTimeoutMs` (default 4 s) is closed instead of reused, as undici
 *   does, to dodge servers' keep-alive timeouts. With `reuse: false` every request opens its own
 *   connection and closes it after the response.
 * - Each distinct request is serialized to bytes once and cached.
 * - Responses are parsed incrementally from a reused read buffer by
 *   {@linkcode Http1ResponseParser}; no `Request`/`Response` objects.
 * - It never retries. A request that fails (even on a pooled connection the
 *   server had just closed) is recorded as failed, unlike `fetch`, which
 *   silently retries once.
 * - Timeouts are checked by one sweeper timer (resolution: a tenth of the
 *   timeout, between 5 ms and 250 ms), not a timer per request.
 *
 * Latency: `startedMs` is taken before a connection is acquired (so a new
 * connection's connect and TLS handshake count, as with `fetch`), `ttfbMs`
 * when the response headers are parsed, `endMs` at the last body byte.
 *
 * @module
 */
import type { Client, ClientOptions, HttpRequest, Outcome } from "./types.ts";
import { now } from "../clock.ts";
import { errorForStatus, type ErrorKind } from "../record.ts";
import { classifyError } from "./_classify_error.ts";
import { PreparedCache, type Target, urlTarget } from "./_prepared_cache.ts";
import { Http1ResponseParser } from "./_http1_parser.ts";

const READ_BUFFER = 64 * 1024;
/** Requests up to this size are written without waiting for the write's promise. */
const SMALL_WRITE = 16 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 4_000;

interface Prepared {
  target: Target;
  bytes: Uint8Array;
  head: boolean;
}

class FastConn {
  readonly conn: Deno.Conn;
  readonly target: Target;
  readonly parser = new Http1ResponseParser();
  readonly buf = new Uint8Array(READ_BUFFER);
  idleSince = 0;
  deadline = Infinity;
  timedOut = false;
  aborted = false;
  closed = false;
  /** Why the last un-awaited write failed, if it did. */
  writeError: unknown = null;
  /** Length of the un-awaited write in progress. */
  writing = 0;
  /** Checks an un-awaited write (one handler per connection, not a closure per request). */
  readonly onWritten = (n: number): void => {
    if (n < this.writing) this.failWrite(new Deno.errors.WriteZero("short write"));
  };
  readonly onWriteError = (err: unknown): void => this.failWrite(err);

  constructor(conn: Deno.Conn, target: Target) {
    this.conn = conn;
    this.target = target;
  }

  /** A write failed: remember why and close, so the pending read ends. */
  failWrite(err: unknown): void {
    if (this.writeError === null) this.writeError = err;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer or the runtime.
    }
  }
}

function fail(
  startedMs: number,
  ttfbMs: number | null,
  status: number,
  bytes: number,
  error: ErrorKind,
): Outcome {
  return { startedMs, endMs: now(), ttfbMs, status, bytes, error };
}

type Done = (outcome: Outcome) => void;

/** Hands an outcome to a `sendThen` callback, if any, and returns it. */
function deliver(done: Done | null, o: Outcome): Outcome {
  if (done !== null) done(o);
  return o;
}

/** The outcome of a response cut short or malformed, with what had arrived of it. */
function failParsed(
  startedMs: number,
  ttfbMs: number | null,
  parser: Http1ResponseParser,
  kind: ErrorKind,
): Outcome {
  return fail(
    startedMs,
    ttfbMs,
    parser.headersComplete ? parser.status : 0,
    parser.bodyBytes,
    kind,
  );
}

function checkHeaderText(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0 || c > 255) {
      throw new TypeError(
        `Cannot serialize the request: invalid character in ${what}: ${JSON.stringify(s)}`,
      );
    }
  }
}

/**
 * Serializes a request once: request line, `Host`, the caller's headers,
 * and a `Content-Length` when there is a body (or for POST/PUT/PATCH).
 *
 * @throws {TypeError} for an unsupported URL or a header with CR/LF/NUL.
 */
function prepare(req: HttpRequest): Prepared {
  const { url, target } = urlTarget(req.url, "fast");
  const method = req.method.toUpperCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Z]+$/.test(method)) {
    throw new TypeError(
      `Cannot serialize the request: invalid method: ${JSON.stringify(req.method)}`,
    );
  }
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasLength = false;
  for (const [name, value] of req.headers) {
    checkHeaderText(name, "a header name");
    checkHeaderText(value, `header ${name}`);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new TypeError(
        `Cannot serialize the request: invalid header name: ${JSON.stringify(name)}`,
      );
    }
    const lower = name.toLowerCase();
    if (lower === "host") hasHost = true;
    if (lower === "content-length") hasLength = true;
    if (lower === "transfer-encoding") {
      throw new TypeError(
        "Cannot serialize the request: the fast client sends bodies with Content-Length only",
      );
    }
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head = head.replace("\r\n", `\r\nHost: ${url.host}\r\n`);
  const body = req.body;
  if (
    !hasLength && (body !== null || method === "POST" || method === "PUT" || method === "PATCH")
  ) {
    head += `Content-Length: ${body?.byteLength ?? 0}\r\n`;
  }
  head += "\r\n";
  // Latin-1 encoding: header text is checked above to be single bytes.
  const headBytes = new Uint8Array(head.length + (body?.byteLength ?? 0));
  for (let i = 0; i < head.length; i++) headBytes[i] = head.charCodeAt(i);
  if (body !== null) headBytes.set(body, head.length);
  return {
    target,
    bytes: headBytes,
    head: method === "HEAD",
  };
}

/** The `fast` profile: see the module documentation. */
class FastClient implements Client {
  readonly name = "fast" as const;
  #maxIdle: number;
  #concurrency: number;
  #paused = false;
  #reuse: boolean;
  #idleTimeoutMs: number;
  #timeoutMs: number;
  #tlsOptions: { caCerts?: string[] };
  #prepared = new PreparedCache(prepare);
  #idle = new Map<string, FastConn[]>();
  #idleCount = 0;
  #active = new Set<FastConn>();
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #opened = 0;

  constructor(options: ClientOptions) {
    const maxIdle = options.maxIdle ?? Math.max(1, options.concurrency);
    if (!Number.isInteger(maxIdle) || maxIdle < 0) {
      throw new RangeError(
        `Cannot create the fast client: maxIdle must be an integer of at least 0, got ${maxIdle}`,
      );
    }
    this.#reuse = options.reuse ?? true;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#maxIdle = this.#reuse ? maxIdle : 0;
    this.#concurrency = Math.max(1, options.concurrency);
    this.#timeoutMs = options.timeoutMs;
    this.#tlsOptions = options.caCerts?.length ? { caCerts: options.caCerts } : {};
  }

  /** Connections opened so far (successful connects, TLS handshakes included). */
  get connectionsOpened(): number {
    return this.#opened;
  }

  #startSweeper(): void {
    if (this.#sweeper !== null) return;
    const tick = Math.min(250, Math.max(5, this.#timeoutMs / 10));
    const sweeper = setInterval(() => {
      const t = now();
      for (const c of this.#active) {
        if (c.deadline <= t) {
          c.timedOut = true;
          c.close();
        }
      }
    }, tick);
    Deno.unrefTimer(sweeper);
    this.#sweeper = sweeper;
  }

  #takeIdle(target: Target, t: number): FastConn | null {
    const list = this.#idle.get(target.key);
    if (list === undefined) return null;
    for (let c = list.pop(); c !== undefined; c = list.pop()) {
      this.#idleCount--;
      if (t - c.idleSince < this.#idleTimeoutMs && !c.closed) return c;
      c.close();
    }
    return null;
  }

  /** See {@linkcode Client.pause}: a paused pool parks up to the concurrency. */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  /** `t`: the time of release (when reusable), so the idle clock needs no reading of its own. */
  #release(c: FastConn, reusable: boolean, t: number): void {
    this.#active.delete(c);
    const cap = this.#paused && this.#maxIdle > 0
      ? Math.max(this.#maxIdle, this.#concurrency)
      : this.#maxIdle;
    if (!reusable || this.#closed || c.closed || this.#idleCount >= cap) {
      c.close();
      return;
    }
    c.idleSince = t;
    let list = this.#idle.get(c.target.key);
    if (list === undefined) {
      list = [];
      this.#idle.set(c.target.key, list);
    }
    list.push(c);
    this.#idleCount++;
  }

  async #connect(target: Target, startedMs: number): Promise<Deno.Conn> {
    const remaining = Math.max(1, startedMs + this.#timeoutMs - now());
    const signal = AbortSignal.timeout(remaining);
    if (!target.tls) {
      const conn = await Deno.connect({ hostname: target.hostname, port: target.port, signal });
      conn.setNoDelay(true);
      return conn;
    }
    // connectTls takes no signal: race the handshake against the timeout.
    const pending = Deno.connectTls({
      hostname: target.hostname,
      port: target.port,
      alpnProtocols: ["http/1.1"],
      ...this.#tlsOptions,
    });
    let onAbort: (() => void) | null = null;
    const timeout = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      pending.then((c) => c.close(), () => {});
      throw err;
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  send(req: HttpRequest): Promise<Outcome> {
    return this.#exchange(req, null);
  }

  /** See {@linkcode Client.sendThen}. */
  sendThen(req: HttpRequest, done: (outcome: Outcome) => void): void {
    void this.#exchange(req, done);
  }

  /** Sends `req`; the outcome goes to `done` (if given) as soon as it is known, and resolves. */
  async #exchange(req: HttpRequest, done: Done | null): Promise<Outcome> {
    const startedMs = now();
    if (this.#closed) return deliver(done, fail(startedMs, null, 0, 0, "aborted"));
    let prep: Prepared;
    try {
      prep = this.#prepared.get(req);
    } catch {
      return deliver(done, fail(startedMs, null, 0, 0, "other"));
    }
    let c = this.#reuse ? this.#takeIdle(prep.target, startedMs) : null;
    if (c === null) {
      try {
        c = new FastConn(await this.#connect(prep.target, startedMs), prep.target);
        this.#opened++;
      } catch (err) {
        return deliver(done, fail(startedMs, null, 0, 0, classifyError(err)));
      }
      if (this.#closed) {
        c.close();
        return deliver(done, fail(startedMs, null, 0, 0, "aborted"));
      }
    }
    this.#startSweeper();
    c.deadline = startedMs + this.#timeoutMs;
    c.timedOut = false;
    c.writeError = null;
    this.#active.add(c);
    const parser = c.parser;
    parser.start(prep.head);
    let ttfbMs: number | null = null;
    try {
      const bytes = prep.bytes;
      if (bytes.length <= SMALL_WRITE) {
        // A small request goes out in one write, done by the time the call returns on a
        // healthy socket: do not wait for its promise. A failed write closes the
        // connection, so the read below fails, and the write's error is the one recorded.
        c.writing = bytes.length;
        c.conn.write(bytes).then(c.onWritten, c.onWriteError);
      } else {
        let written = await c.conn.write(bytes);
        while (written < bytes.length) written += await c.conn.write(bytes.subarray(written));
      }
      const buf = c.buf;
      for (;;) {
        const n = await c.conn.read(buf);
        if (n === null) {
          const nothing = parser.idle;
          if (parser.finish()) break;
          if (c.writeError !== null) throw c.writeError;
          // Closed before any byte, or after the headers but short of the body: the
          // server dropped the connection (what the fetch profiles call a reset).
          // Closed in the middle of the headers: the response is malformed.
          const kind = nothing || parser.headersComplete ? "reset" : "protocol";
          return this.#failed(c, done, startedMs, ttfbMs, kind);
        }
        const used = parser.push(buf, 0, n);
        // One clock read serves both ends of a response that arrived in one read.
        let t = 0;
        if (ttfbMs === null && parser.headersComplete) ttfbMs = (t = now()) - startedMs;
        if (parser.error !== null) return this.#failed(c, done, startedMs, ttfbMs, "protocol");
        // Bytes after the response belong to no request: do not reuse that connection.
        if (parser.complete) {
          return deliver(
            done,
            this.#complete(c, startedMs, ttfbMs, parser.keepAlive && used === n, t || now()),
          );
        }
      }
      // Body delimited by the connection close.
      return deliver(done, this.#complete(c, startedMs, ttfbMs, false, now()));
    } catch (err) {
      const kind = c.timedOut
        ? "timeout"
        : c.aborted
        ? "aborted"
        : classifyError(c.writeError ?? err);
      return this.#failed(c, done, startedMs, ttfbMs, kind);
    }
  }

  /** Drops a connection whose response failed and hands over what had arrived of it. */
  #failed(
    c: FastConn,
    done: Done | null,
    startedMs: number,
    ttfbMs: number | null,
    kind: ErrorKind,
  ): Outcome {
    this.#release(c, false, 0);
    return deliver(done, failParsed(startedMs, ttfbMs, c.parser, kind));
  }

  /** The outcome of a whole response; the connection goes back to the pool if `reuse`. */
  #complete(
    c: FastConn,
    startedMs: number,
    ttfbMs: number | null,
    reuse: boolean,
    endMs: number,
  ): Outcome {
    this.#release(c, reuse, endMs);
    const status = c.parser.status;
    return {
      startedMs,
      endMs,
      ttfbMs,
      status,
      bytes: c.parser.bodyBytes,
      error: errorForStatus(status),
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const list of this.#idle.values()) for (const c of list) c.close();
    this.#idle.clear();
    this.#idleCount = 0;
    for (const c of this.#active) {
      c.aborted = true;
      c.close();
    }
    return Promise.resolve();
  }
}

/**
 * Creates the `fast` client profile: raw HTTP/1.1 keep-alive over
 * `Deno.connect`/`Deno.connectTls`, one connection per request in flight,
 * no retries. `maxIdle` caps the idle pool (default: the concurrency) and
 * `reuse: false` opens a connection per request.
 *
 * @throws {RangeError} when `maxIdle` is not an integer of at least 0.
 *
 * @example
 * ```ts ignore
 * import { createFastClient } from "./fast.ts";
 * const client = createFastClient({ concurrency: 20, timeoutMs: 5_000 });
 * const outcome = await client.send({ url: "http://127.0.0.1:8080/", method: "GET", headers: [], body: null });
 * await client.close();
 * ```
 */
export function createFastClient(options: ClientOptions): Client {
  return new FastClient(options);
}
