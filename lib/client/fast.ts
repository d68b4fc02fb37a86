/**
 * The `fast` client profile: a raw HTTP/1.1 keep-alive engine over
 * `Deno.connect` / `Deno.startTls`, built to drive as much load as wrk
 * while measuring each request the same way as the fetch-based profiles.
 *
 * - One connection per request in flight; idle connections are pooled (at
 *   most `maxIdle` of them per origin, default `concurrency`) and reused; a connection
 *   that comes back to a full pool is closed; an idle connection older than
 *   `idleTimeoutMs` (default 4 s) is closed instead of reused, as undici
 *   does, to dodge servers' keep-alive timeouts. With `reuse: false` every request opens its own
 *   connection and closes it after the response.
 * - Each distinct request is serialized to bytes once and cached.
 * - Responses are parsed incrementally from a reused read buffer by
 *   {@linkcode Http1ResponseParser}; no `Request`/`Response` objects.
 * - A connection's read loop carries on from one response to the next
 *   request when that starts from the last one's completion (a closed
 *   loop), so a request costs no promise or async call of its own beyond
 *   its read and write; an idle connection has no read pending.
 * - It retries in one case only, and counts it ({@linkcode Client.retries}):
 *   a request with an idempotent method (RFC 9110 §9.2.2) whose pooled
 *   connection turns out closed (end of stream or reset) before any byte of
 *   the response is re-sent once on a new connection, as Go's and undici's
 *   clients do; the retry counts in its latency. A server that closes after
 *   each response without `Connection: close` would otherwise fail about
 *   every other request. Any other failure (a POST on such a connection, a
 *   response cut short, a fresh connection closed) is recorded as failed.
 *   Deno's `fetch` re-sends once after such a reset too, any method, and
 *   does not say so.
 * - Timeouts are checked by one sweeper timer (resolution: a tenth of the
 *   timeout, between 5 ms and 250 ms), not a timer per request.
 *
 * Latency: `startedMs` is taken before a connection is acquired (so a new
 * connection's connect and TLS handshake count, as with `fetch`), `ttfbMs`
 * when the response headers are parsed, `firstBodyMs` at the read that
 * brings the first body byte (a streamed response's first token; `null` for
 * an empty body), `endMs` at the last body byte.
 *
 * Phases (docs/phases.md): connections are numbered from 1 within the client
 * (`conn`). A connection is opened with `Deno.connect` and, for `https:`,
 * `Deno.startTls` and an awaited handshake, so the TCP connect (`connectMs`)
 * and the TLS handshake (`tlsMs`) are timed apart; the request that opened a
 * connection carries them, a request on a reused one leaves them `null`.
 *
 * @module
 */
import type { Client, ClientOptions, HttpRequest, Outcome } from "./types.ts";
import { now } from "../clock.ts";
import { errorForStatus, type ErrorKind } from "../record.ts";
import { classifyError, describeError } from "./_classify_error.ts";
import { PreparedCache, type Target, urlTarget } from "./_prepared_cache.ts";
import { Http1ResponseParser } from "./_http1_parser.ts";
import { openConn, type OpenedConn } from "./_open_conn.ts";

const READ_BUFFER = 64 * 1024;
/** Requests up to this size are written without waiting for the write's promise. */
const SMALL_WRITE = 16 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 4_000;

interface Prepared {
  target: Target;
  bytes: Uint8Array;
  head: boolean;
  /** A request that prepared to this (any of them: same method, URL, headers, body). */
  req: HttpRequest;
  /** Idempotent method (RFC 9110 §9.2.2): may be re-sent after a stale pooled connection. */
  replayable: boolean;
}

/** Methods whose request may be sent twice with the effect of once (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

type Done = (outcome: Outcome) => void;

/**
 * One connection and the exchange on it. Its read loop runs while an
 * exchange is in progress and carries on into the next one when that starts
 * from the completion of the last (a closed loop's next request), so a
 * request costs no async function of its own; an idle connection has no
 * read pending.
 */
class FastConn {
  readonly conn: Deno.Conn;
  readonly target: Target;
  /** Number of this connection within its client, from 1. */
  readonly id: number;
  /** The TCP connect and TLS handshake, owed to the outcome of the request that opened it. */
  connectMs: number | null;
  tlsMs: number | null;
  readonly parser = new Http1ResponseParser();
  readonly buf = new Uint8Array(READ_BUFFER);
  /** The open connections of its client: a connection leaves it when closed. */
  readonly #open: Set<FastConn>;
  idleSince = 0;
  /** Taken from the idle pool at least once: the server may have closed it meanwhile. */
  reused = false;
  /** The request of the exchange in progress (for its one retry). */
  prep: Prepared | null = null;
  deadline = Infinity;
  timedOut = false;
  aborted = false;
  closed = false;
  /** The exchange in progress: where its outcome goes; `null` when idle. */
  done: Done | null = null;
  startedMs = 0;
  /**
   * Time to the headers and to the first body byte of the exchange in progress, -1 until
   * known: a number field, not `number | null`, so V8 keeps each in place rather than
   * boxing a new heap number per response (and a write barrier into this old object).
   */
  ttfbMs = -1;
  firstBodyMs = -1;
  /** Whether the read loop is running. */
  reading = false;
  /** Why the last un-awaited write failed, if it did. */
  writeError: unknown = null;
  /** Length of the un-awaited write in progress. */
  writing = 0;
  /** A large request is still being written (its response may come first: see `#writeAll`). */
  bodyWriting = false;
  /** Checks an un-awaited write (one handler per connection, not a closure per request). */
  readonly onWritten = (n: number): void => {
    if (n < this.writing) this.failWrite(new Deno.errors.WriteZero("short write"));
  };
  readonly onWriteError = (err: unknown): void => this.failWrite(err);

  readonly #result: Outcome;

  constructor(opened: OpenedConn, target: Target, open: Set<FastConn>, id: number) {
    // Numbers where a response has them, so V8 keeps those fields as doubles refilled in
    // place, not a new heap number (and a write barrier into this old object) per response.
    this.#result = {
      startedMs: 0.5,
      endMs: 0.5,
      ttfbMs: 0.5,
      status: 0,
      bytes: 0,
      error: "",
      connectMs: null,
      tlsMs: null,
      firstBodyMs: 0.5,
      conn: id,
    };
    this.conn = opened.conn;
    this.connectMs = opened.tcpEndMs - opened.startMs;
    this.tlsMs = target.tls ? opened.endMs - opened.tcpEndMs : null;
    this.target = target;
    this.id = id;
    this.#open = open;
    open.add(this);
  }

  /**
   * The outcome of a whole response, filled into one object per connection
   * rather than a new one per request: `sendThen`'s callback reads it before
   * the connection's next response (`send` hands over a copy). The
   * connection's setup phases go to the first outcome only.
   */
  completed(endMs: number, status: number, bytes: number, error: ErrorKind): Outcome {
    const o = this.#result;
    o.startedMs = this.startedMs;
    o.endMs = endMs;
    o.ttfbMs = this.ttfbMs < 0 ? null : this.ttfbMs;
    o.status = status;
    o.bytes = bytes;
    o.error = error;
    o.connectMs = this.connectMs;
    o.tlsMs = this.tlsMs;
    o.firstBodyMs = this.firstBodyMs < 0 ? null : this.firstBodyMs;
    this.connectMs = null;
    this.tlsMs = null;
    return o;
  }

  /**
   * A new outcome of the exchange in progress (a failure, which may get a
   * message); the connection's setup phases go to the first outcome only.
   */
  outcome(endMs: number, status: number, bytes: number, error: ErrorKind): Outcome {
    const o: Outcome = {
      startedMs: this.startedMs,
      endMs,
      ttfbMs: this.ttfbMs < 0 ? null : this.ttfbMs,
      status,
      bytes,
      error,
      connectMs: this.connectMs,
      tlsMs: this.tlsMs,
      firstBodyMs: this.firstBodyMs < 0 ? null : this.firstBodyMs,
      conn: this.id,
    };
    this.connectMs = null;
    this.tlsMs = null;
    return o;
  }

  /** A write failed: remember why and close, so the pending read ends. */
  failWrite(err: unknown): void {
    if (this.writeError === null) this.writeError = err;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#open.delete(this);
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer or the runtime.
    }
  }
}

/** The outcome of a request that never got onto a connection. */
function fail(startedMs: number, error: ErrorKind, message?: string): Outcome {
  const o: Outcome = { startedMs, endMs: now(), ttfbMs: null, status: 0, bytes: 0, error };
  if (message !== undefined) o.message = message;
  return o;
}

/** The outcome of a response cut short or malformed, with what had arrived of it. */
function failParsed(c: FastConn, kind: ErrorKind, message?: string): Outcome {
  const parser = c.parser;
  const o = c.outcome(now(), parser.headersComplete ? parser.status : 0, parser.bodyBytes, kind);
  if (message !== undefined) o.message = message;
  return o;
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
    req,
    replayable: IDEMPOTENT.has(method),
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
  /** The idle list last asked for: a run usually has one target, so no map lookup. */
  #lastKey = "";
  #lastList: FastConn[] = [];
  #idleCount = 0;
  /** Every open connection, idle or busy (the sweeper's and close()'s list). */
  #open = new Set<FastConn>();
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #opened = 0;
  #retries = 0;

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

  /** Requests re-sent on a new connection after their pooled one turned out closed. */
  get retries(): number {
    return this.#retries;
  }

  #startSweeper(): void {
    if (this.#sweeper !== null) return;
    const tick = Math.min(250, Math.max(5, this.#timeoutMs / 10));
    const sweeper = setInterval(() => {
      const t = now();
      for (const c of this.#open) {
        if (c.done !== null && c.deadline <= t) {
          c.timedOut = true;
          c.close();
        }
      }
    }, tick);
    Deno.unrefTimer(sweeper);
    this.#sweeper = sweeper;
  }

  /** The idle list of `key`, made on first use. */
  #idleList(key: string): FastConn[] {
    if (key === this.#lastKey) return this.#lastList;
    let list = this.#idle.get(key);
    if (list === undefined) {
      list = [];
      this.#idle.set(key, list);
    }
    this.#lastKey = key;
    this.#lastList = list;
    return list;
  }

  #takeIdle(target: Target, t: number): FastConn | null {
    const list = this.#idleList(target.key);
    for (let c = list.pop(); c !== undefined; c = list.pop()) {
      this.#idleCount--;
      if (t - c.idleSince < this.#idleTimeoutMs && !c.closed) {
        c.reused = true;
        return c;
      }
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
    const cap = this.#paused && this.#maxIdle > 0
      ? Math.max(this.#maxIdle, this.#concurrency)
      : this.#maxIdle;
    // The cap is per origin (as Go's MaxIdleConnsPerHost, urllib3's pool_maxsize, fetch's
    // poolMaxIdlePerHost): a global one made a targets file over several servers close and
    // reopen a connection at nearly every change of origin.
    const list = this.#idleList(c.target.key);
    if (!reusable || this.#closed || c.closed || list.length >= cap) {
      c.close();
      return;
    }
    c.idleSince = t;
    list.push(c);
    this.#idleCount++;
  }

  /** Opens a connection (`_open_conn.ts`), within what is left of the request's timeout. */
  #connect(target: Target, startedMs: number): Promise<OpenedConn> {
    const remaining = Math.max(1, startedMs + this.#timeoutMs - now());
    return openConn(target, "http/1.1", this.#tlsOptions, AbortSignal.timeout(remaining));
  }

  send(req: HttpRequest): Promise<Outcome> {
    // A copy: a completed outcome is the connection's own object, refilled by its next response.
    return new Promise((resolve) => this.#begin(req, (o) => resolve({ ...o }), now()));
  }

  /** See {@linkcode Client.sendThen}. */
  sendThen(req: HttpRequest, done: (outcome: Outcome) => void, startedMs?: number): void {
    this.#begin(req, done, startedMs ?? now());
  }

  /** Starts `req` on a pooled connection, or on a new one once it is open (always when `fresh`). */
  #begin(req: HttpRequest, done: Done, startedMs: number, fresh = false): void {
    if (this.#closed) return done(fail(startedMs, "aborted"));
    let prep: Prepared;
    try {
      prep = this.#prepared.get(req);
    } catch (err) {
      return done(fail(startedMs, "other", describeError(err)));
    }
    const c = this.#reuse && !fresh ? this.#takeIdle(prep.target, startedMs) : null;
    if (c !== null) return this.#start(c, prep, startedMs, done);
    this.#connect(prep.target, startedMs).then(
      (opened) => {
        const fresh = new FastConn(opened, prep.target, this.#open, ++this.#opened);
        if (this.#closed) {
          fresh.close();
          return done(fail(startedMs, "aborted"));
        }
        this.#start(fresh, prep, startedMs, done);
      },
      (err) => done(fail(startedMs, classifyError(err), describeError(err))),
    );
  }

  /** Writes the request and makes sure the read loop runs. */
  #start(c: FastConn, prep: Prepared, startedMs: number, done: Done): void {
    this.#startSweeper();
    c.deadline = startedMs + this.#timeoutMs;
    c.timedOut = false;
    c.writeError = null;
    c.done = done;
    c.startedMs = startedMs;
    c.ttfbMs = -1;
    c.firstBodyMs = -1;
    c.prep = prep;
    c.parser.start(prep.head);
    const bytes = prep.bytes;
    if (bytes.length <= SMALL_WRITE) {
      // A small request goes out in one write, done by the time the call returns on a
      // healthy socket: do not wait for its promise. A failed write closes the
      // connection, so the read fails, and the write's error is the one recorded.
      c.writing = bytes.length;
      c.conn.write(bytes).then(c.onWritten, c.onWriteError);
      if (!c.reading) void this.#readLoop(c);
    } else {
      void this.#writeAll(c, bytes);
    }
  }

  /**
   * A large request, read while it is written: a server may answer before
   * the body is all sent (say 413, then close), and that response is the
   * answer. One that ends before the write does closes the connection: it
   * cannot carry the next request while this one is still being written. A
   * write that fails while the read loop runs leaves the outcome to the
   * read, which may still find the response the server sent before closing.
   */
  async #writeAll(c: FastConn, bytes: Uint8Array): Promise<void> {
    c.bodyWriting = true;
    if (!c.reading) void this.#readLoop(c);
    try {
      let written = await c.conn.write(bytes);
      while (written < bytes.length) written += await c.conn.write(bytes.subarray(written));
    } catch (err) {
      c.bodyWriting = false;
      if (c.reading && c.done !== null) {
        if (c.writeError === null) c.writeError = err;
        return;
      }
      return this.#readFailed(c, err);
    }
    c.bodyWriting = false;
  }

  /**
   * Reads responses while the connection has an exchange in progress: the
   * next exchange may start from the completion of the last one, and then
   * the loop carries on with it.
   */
  async #readLoop(c: FastConn): Promise<void> {
    c.reading = true;
    // Every way out but the loop's own end leaves the connection closed, never taken again, so
    // clearing the flag after the outcome is handed over is as good as before.
    try {
      const buf = c.buf;
      const parser = c.parser;
      // A connection closed meanwhile (the sweeper, a failed write) fails its next read, which
      // records why: the loop must not end quietly with an exchange still open.
      while (c.done !== null) {
        let n: number | null;
        try {
          n = await c.conn.read(buf);
        } catch (err) {
          return this.#readFailed(c, err, parser.idle);
        }
        if (n === null) {
          const nothing = parser.idle;
          if (parser.finish()) {
            // Body delimited by the connection close.
            return this.#complete(c, false, now());
          }
          if (c.writeError !== null) return this.#readFailed(c, c.writeError, nothing);
          // Closed before any byte, or after the headers but short of the body: the
          // server dropped the connection (what the fetch profiles call a reset).
          // Closed in the middle of the headers: the response is malformed.
          return this.#failed(
            c,
            nothing || parser.headersComplete ? "reset" : "protocol",
            nothing,
            nothing
              ? "the server closed the connection before any byte of the response"
              : parser.headersComplete
              ? "the server closed the connection before the end of the body"
              : "the server closed the connection in the middle of the response head",
          );
        }
        const used = parser.push(buf, 0, n);
        // One clock read serves both ends of a response that arrived in one read.
        let t = 0;
        if (c.ttfbMs < 0 && parser.headersComplete) c.ttfbMs = (t = now()) - c.startedMs;
        // The first body byte came in this read (with the headers, or later: a first token).
        if (c.firstBodyMs < 0 && parser.bodyBytes > 0) {
          c.firstBodyMs = (t || (t = now())) - c.startedMs;
        }
        if (parser.error !== null) return this.#failed(c, "protocol", false, parser.error);
        // Bytes after the response belong to no request: do not reuse that connection.
        if (parser.complete) {
          this.#complete(c, parser.keepAlive && used === n && !c.bodyWriting, t || now());
        }
      }
    } finally {
      c.reading = false;
    }
  }

  /**
   * A read (or the request's write) failed: record why, from what the
   * connection knows. `idle`: no byte of the response had arrived.
   */
  #readFailed(c: FastConn, err: unknown, idle = false): void {
    if (c.done === null) return c.close();
    if (c.timedOut || c.aborted) return this.#failed(c, c.timedOut ? "timeout" : "aborted", idle);
    const cause = c.writeError ?? err;
    this.#failed(c, classifyError(cause), idle, describeError(cause));
  }

  /**
   * Drops a connection whose response failed and hands over what had arrived
   * of it; or, for a reset of a pooled connection before any byte of the
   * response (`idle`), re-sends an idempotent request once on a new
   * connection, from the same start.
   */
  #failed(c: FastConn, kind: ErrorKind, idle = false, message?: string): void {
    const done = c.done;
    c.done = null;
    this.#release(c, false, 0);
    if (done === null) return;
    const prep = c.prep;
    if (kind === "reset" && idle && c.reused && prep !== null && prep.replayable && !this.#closed) {
      this.#retries++;
      return this.#begin(prep.req, done, c.startedMs, true);
    }
    done(failParsed(c, kind, message));
  }

  /**
   * Hands over the outcome of a whole response; the connection goes back to
   * the pool first (if `reuse`), so the callback's next request can take it.
   */
  #complete(c: FastConn, reuse: boolean, endMs: number): void {
    const done = c.done as Done;
    c.done = null;
    this.#release(c, reuse, endMs);
    const status = c.parser.status;
    done(c.completed(endMs, status, c.parser.bodyBytes, errorForStatus(status)));
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const list of this.#idle.values()) for (const c of list) c.close();
    this.#idle.clear();
    this.#lastKey = "";
    this.#lastList = [];
    this.#idleCount = 0;
    for (const c of [...this.#open]) {
      if (c.done !== null) c.aborted = true;
      c.close();
    }
    return Promise.resolve();
  }
}

/**
 * Creates the `fast` client profile: raw HTTP/1.1 keep-alive over
 * `Deno.connect` (and `Deno.startTls` for https), with per-request phases, one connection per request in flight,
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
