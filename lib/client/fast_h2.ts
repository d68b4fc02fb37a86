/**
 * The `fast-h2` client profile: tailgate's own HTTP/2 engine (RFC 9113) over
 * `Deno.connect` (cleartext, prior knowledge) and `Deno.startTls` (ALPN
 * `h2`), with `TCP_NODELAY` on, built to drive as much load as h2load while
 * measuring each request like the other profiles.
 *
 * - Connections: `connections` per origin (default one per 100 requests in
 *   flight), each carrying at most `streams` concurrent streams (default
 *   in-flight / connections), never more than the server's
 *   SETTINGS_MAX_CONCURRENT_STREAMS. Requests beyond that wait in a queue;
 *   the wait counts in their latency.
 * - Each distinct request is HPACK-encoded once (no dynamic table, so the
 *   block fits any connection) and cached as a ready HEADERS frame; only the
 *   stream id is patched per send.
 * - Frames are parsed from one reused buffer per connection; writes are
 *   batched into one buffer and flushed together.
 * - Flow control: we announce a 16 MiB stream window and a 1 GiB connection
 *   window and return credit with WINDOW_UPDATE at half use; request bodies
 *   are split by the server's MAX_FRAME_SIZE and its windows.
 * - It never retries. Errors are records, by kind:
 *   `reset` for RST_STREAM, for streams above a GOAWAY's last stream id
 *   (never re-sent), and for a connection the server closed mid-stream;
 *   `protocol` for any protocol violation by the server (bad frames,
 *   COMPRESSION_ERROR, a header block above 256 KiB or in over 64
 *   CONTINUATION frames, over 10,000 SETTINGS/PING acknowledgements queued
 *   unwritten (a server that floods and never reads), no h2 from ALPN, a
 *   server that speaks no HTTP/2), which ends the connection with GOAWAY and
 *   fails every stream on it; `timeout` when a request (queued, waiting for
 *   window, or waiting for a response) outlives the timeout, checked by one
 *   sweeper timer, after which its stream is cancelled with RST_STREAM, and
 *   for every stream on a connection whose write made no progress for a
 *   whole timeout (the server reads nothing), which is closed.
 *
 * Latency: `startedMs` is taken when `send()` is called (a connect, the
 * SETTINGS exchange and any wait for a free stream count), `ttfbMs` at the
 * final response HEADERS, `firstBodyMs` at the first DATA frame with a
 * payload (a streamed response's first token), `endMs` at END_STREAM.
 *
 * Phases (docs/phases.md): connections are numbered from 1 within the
 * client (`conn`); TLS is `Deno.connect` then `Deno.startTls` and an awaited
 * handshake, so the TCP connect and the handshake are timed apart. Requests
 * queued while a connection was being set up wait for it, and that wait is
 * in their latency. A request that was waiting when its connection's setup
 * ended carries the part of that setup after its own start: the request that
 * opened the connection carries all of `connectMs` and `tlsMs`; one that
 * arrived during the handshake carries `tlsMs` from its start and no
 * `connectMs`; a request started after the setup carries neither.
 *
 * @module
 */
import type { Client, ClientOptions, HttpRequest, Outcome } from "./types.ts";
import { now } from "../clock.ts";
import { errorForStatus, type ErrorKind } from "../record.ts";
import { classifyError, describeError } from "./_classify_error.ts";
import { PreparedCache, type Target, urlTarget } from "./_prepared_cache.ts";
import { openConn } from "./_open_conn.ts";
import { encodeHeaderBlock, HpackDecoder } from "./_hpack.ts";
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  encodeGoaway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  FrameReader,
  FrameType,
  H2ProtocolError,
  MAX_WINDOW,
  parseGoaway,
  parseRstStream,
  parseSettings,
  parseWindowUpdate,
  PREFACE,
  Setting,
  unpadded,
  writeFrameHeader,
  writeWindowUpdate,
} from "./_h2_frames.ts";

const STREAM_WINDOW = 16 * 1024 * 1024;
const CONN_WINDOW = 2 ** 30;
/** Largest compressed header block (HEADERS + CONTINUATION) accepted. */
const MAX_HEADER_BLOCK = 256 * 1024;
const MAX_STREAM_ID = 2 ** 31 - 1;
const READ_BUFFER = 256 * 1024;
/**
 * CONTINUATION frames accepted after one HEADERS frame. The byte cap alone
 * does not bound a flood of empty frames (CERT VU#421644). A 256 KiB block
 * in 16 KiB frames needs 16; four times that leaves room for a server that
 * packs its frames badly (nghttp2 allows 8, hyper's h2 a small multiple of
 * the frames needed).
 */
const MAX_CONTINUATIONS = 64;
/**
 * SETTINGS and PING acknowledgements queued and not yet written (at most
 * 170 KB of them), as Go's HTTP/2 server's maxQueuedControlFrames: a server
 * that sends them and never reads would otherwise make the write buffer grow
 * without bound. The rest of the write buffer holds our own frames: the
 * requests in flight (HEADERS, bodies within the windows), RST_STREAM and
 * WINDOW_UPDATE for them.
 */
const MAX_QUEUED_CONTROL = 10_000;

interface Prepared {
  target: Target;
  /** HPACK block of the request headers. */
  block: Uint8Array;
  /** A whole HEADERS frame (stream id 0, to patch) when the block fits 16 KiB. */
  frame: Uint8Array | null;
  body: Uint8Array | null;
  /** The pool of its origin, once known (a client's pools live as long as it does). */
  pool: Pool | null;
}

/** One request: queued, then a stream. */
class H2Stream {
  id = 0;
  readonly prep: Prepared;
  readonly startedMs: number;
  readonly deadline: number;
  resolve!: (o: Outcome) => void;
  ttfbMs: number | null = null;
  firstBodyMs: number | null = null;
  /** The part of its connection's TCP connect and TLS handshake after this request's start. */
  connectMs: number | null = null;
  tlsMs: number | null = null;
  /** Number of the connection that carried it (from 1), once started. */
  conn: number | null = null;
  status = 0;
  bytes = 0;
  sendWindow = 0;
  bodySent = 0;
  recvUnacked = 0;
  done = false;

  constructor(prep: Prepared, startedMs: number, deadline: number) {
    this.prep = prep;
    this.startedMs = startedMs;
    this.deadline = deadline;
  }
}

/** Connections and waiting requests for one origin. */
interface Pool {
  target: Target;
  conns: H2Conn[];
  queue: H2Stream[];
  /** The connection that finished a stream last: the next request's first choice. */
  freed: H2Conn | null;
}

/** An outcome for a request that never got onto a connection. */
function failed(startedMs: number, error: ErrorKind, message?: string): Promise<Outcome> {
  const o: Outcome = { startedMs, endMs: now(), ttfbMs: null, status: 0, bytes: 0, error };
  if (message !== undefined) o.message = message;
  return Promise.resolve(o);
}

/** `message`: why it failed (see {@linkcode Outcome.message}). */
function outcome(s: H2Stream, error: ErrorKind, message?: string): Outcome {
  const o: Outcome = {
    startedMs: s.startedMs,
    endMs: now(),
    ttfbMs: s.ttfbMs,
    status: s.status,
    bytes: s.bytes,
    error,
    connectMs: s.connectMs,
    tlsMs: s.tlsMs,
    firstBodyMs: s.firstBodyMs,
    conn: s.conn,
  };
  if (message !== undefined) o.message = message;
  return o;
}

const EMPTY = new Uint8Array(0);

/** One HTTP/2 connection. */
class H2Conn {
  readonly client: FastH2Client;
  readonly pool: Pool;
  readonly createdMs: number;
  conn: Deno.Conn | null = null;
  /** Number within the client, from 1, once connected (0 before). */
  id = 0;
  /** Setup: when the TCP connect began and ended, when the TLS handshake ended (= TCP end on h2c). */
  connectStartMs = 0;
  tcpEndMs = 0;
  setupEndMs = 0;
  readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE, READ_BUFFER);
  readonly decoder = new HpackDecoder();
  readonly streams = new Map<number, H2Stream>();
  nextStreamId = 1;
  /** Set once the server's first SETTINGS arrived. */
  ready = false;
  /** No new streams: GOAWAY received, ids exhausted, or failing. */
  draining = false;
  closed = false;
  peerMaxStreams = Infinity;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  sendWindow = DEFAULT_WINDOW;
  recvUnacked = 0;
  /** Streams with body bytes waiting for send window. */
  blocked: H2Stream[] = [];
  // Header block being continued.
  contStream = 0;
  contEndStream = false;
  contBuf = EMPTY;
  contLen = 0;
  /** CONTINUATION frames of the header block being continued. */
  contFrames = 0;
  /** Control-frame replies (SETTINGS and PING ACKs) in the write buffer. */
  control = 0;
  /** Octets handed to the socket so far, and that count when the sweeper last looked. */
  written = 0;
  writtenAtSweep = 0;
  /** When the sweeper last saw a write make progress (or none in flight). */
  stuckSinceMs: number;
  // Write batching: two buffers, one filled while the other is written.
  wbuf = new Uint8Array(64 * 1024);
  wlen = 0;
  spare = new Uint8Array(64 * 1024);
  flushScheduled = false;
  flushing = false;

  constructor(client: FastH2Client, pool: Pool) {
    this.client = client;
    this.pool = pool;
    this.createdMs = now();
    this.stuckSinceMs = this.createdMs;
  }

  /** Room for `n` more octets in the write buffer; returns the write offset. */
  reserve(n: number): number {
    const need = this.wlen + n;
    if (need > this.wbuf.length) {
      const grown = new Uint8Array(Math.max(need, this.wbuf.length * 2));
      grown.set(this.wbuf.subarray(0, this.wlen));
      this.wbuf = grown;
    }
    const at = this.wlen;
    this.wlen = need;
    return at;
  }

  push(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.wbuf.set(bytes, at);
    this.scheduleFlush();
  }

  /**
   * Queues an acknowledgement the server asked for (SETTINGS, PING), within
   * bounds: a server that keeps asking and never reads is flooding us.
   *
   * @throws {H2ProtocolError} past {@linkcode MAX_QUEUED_CONTROL} replies not
   * yet written.
   */
  pushControl(bytes: Uint8Array): void {
    if (++this.control + this.#outControl > MAX_QUEUED_CONTROL) {
      throw new H2ProtocolError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `control frame flood: over ${MAX_QUEUED_CONTROL} acknowledgements queued unwritten, the server does not read`,
      );
    }
    this.push(bytes);
  }

  /**
   * Flushes at the end of this turn, so that every frame queued in it (the
   * requests started by the responses of one read) goes out in one write.
   */
  scheduleFlush(): void {
    if (this.flushScheduled || this.flushing || this.conn === null) return;
    this.flushScheduled = true;
    queueMicrotask(this.#flushTask);
  }

  // Bound once per connection: no closure per flush.
  readonly #flushTask = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Bytes of `spare` being written, and how many of them are out. */
  #outLen = 0;
  #outOff = 0;
  /** Control-frame replies among the octets being written. */
  #outControl = 0;

  /** Starts writing the buffered frames (the buffers swap; one write in flight at a time). */
  flush(): void {
    if (this.flushing || this.closed || this.conn === null || this.wlen === 0) return;
    this.flushing = true;
    const buf = this.wbuf;
    this.wbuf = this.spare;
    this.spare = buf;
    this.#outLen = this.wlen;
    this.#outOff = 0;
    this.#outControl = this.control;
    this.control = 0;
    this.wlen = 0;
    this.conn.write(buf.subarray(0, this.#outLen)).then(this.#onWritten, this.#onWriteError);
  }

  readonly #onWritten = (n: number): void => {
    this.#outOff += n;
    this.written += n;
    if (this.closed || this.conn === null) {
      this.flushing = false;
      return;
    }
    if (this.#outOff < this.#outLen) {
      this.conn.write(this.spare.subarray(this.#outOff, this.#outLen)).then(
        this.#onWritten,
        this.#onWriteError,
      );
      return;
    }
    this.flushing = false;
    this.#outControl = 0;
    // Frames queued while the write was out.
    if (this.wlen > 0) this.flush();
  };

  readonly #onWriteError = (err: unknown): void => {
    this.flushing = false;
    this.client.fail(this, this.closed ? "aborted" : classifyError(err), null, describeError(err));
  };
}

/** The body octets of a padded DATA frame (its payload without the padding). */
function dataLength(r: FrameReader): number {
  const [from, to] = unpadded(r.buffer, r.payloadStart, r.payloadEnd, FrameType.DATA, r.flags);
  return to - from;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Connection-specific headers, not allowed in HTTP/2 (RFC 9113, 8.2.2). */
const CONNECTION_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Encodes a request once: pseudo-headers, the caller's headers (lowercased;
 * `Host` becomes `:authority`; connection-specific ones are dropped) and a
 * `content-length` for a body.
 *
 * @throws {TypeError} for an unsupported URL or an invalid method or header.
 */
function prepare(req: HttpRequest): Prepared {
  const { url, target } = urlTarget(req.url, "fast-h2");
  const method = req.method.toUpperCase();
  if (!TOKEN.test(method)) {
    throw new TypeError(`Cannot encode the request: invalid method: ${JSON.stringify(req.method)}`);
  }
  let authority = url.host;
  let hasLength = false;
  const rest: [string, string][] = [];
  for (const [name, value] of req.headers) {
    if (!TOKEN.test(name)) {
      throw new TypeError(
        `Cannot encode the request: invalid header name: ${JSON.stringify(name)}`,
      );
    }
    if (/[\r\n\0]/.test(value)) {
      throw new TypeError(`Cannot encode the request: invalid character in header ${name}`);
    }
    const lower = name.toLowerCase();
    if (lower === "host") {
      authority = value;
      continue;
    }
    if (CONNECTION_HEADERS.has(lower) || (lower === "te" && value.toLowerCase() !== "trailers")) {
      continue;
    }
    if (lower === "content-length") hasLength = true;
    rest.push([lower, value]);
  }
  const body = req.body !== null && req.body.byteLength > 0 ? req.body : null;
  if (
    !hasLength && (body !== null || method === "POST" || method === "PUT" || method === "PATCH")
  ) {
    rest.push(["content-length", String(body?.byteLength ?? 0)]);
  }
  const block = encodeHeaderBlock([
    [":method", method],
    [":scheme", target.tls ? "https" : "http"],
    [":authority", authority],
    [":path", `${url.pathname}${url.search}`],
    ...rest,
  ]);
  let frame: Uint8Array | null = null;
  if (block.length <= DEFAULT_MAX_FRAME_SIZE) {
    frame = new Uint8Array(FRAME_HEADER_LENGTH + block.length);
    const flags = Flag.END_HEADERS | (body === null ? Flag.END_STREAM : 0);
    writeFrameHeader(frame, 0, block.length, FrameType.HEADERS, flags, 0);
    frame.set(block, FRAME_HEADER_LENGTH);
  }
  return {
    target,
    block,
    frame,
    body,
    pool: null,
  };
}

/** The `fast-h2` profile: see the module documentation. */
class FastH2Client implements Client {
  readonly name = "fast-h2" as const;
  readonly #timeoutMs: number;
  readonly #maxConns: number;
  readonly #maxStreams: number;
  readonly #tlsOptions: { caCerts?: string[] };
  #prepared = new PreparedCache(prepare);
  #pools = new Map<string, Pool>();
  #sweeper: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #warned = false;
  #opened = 0;

  /** Connections opened so far (successful connects, TLS handshakes included). */
  get connectionsOpened(): number {
    return this.#opened;
  }

  constructor(options: ClientOptions) {
    const inFlight = Math.max(1, options.concurrency);
    this.#timeoutMs = options.timeoutMs;
    const conns = options.connections ??
      (options.streams !== undefined
        ? Math.ceil(inFlight / options.streams)
        : Math.ceil(inFlight / 100));
    this.#maxConns = Math.max(1, conns);
    this.#maxStreams = Math.max(1, options.streams ?? Math.ceil(inFlight / this.#maxConns));
    this.#tlsOptions = options.caCerts?.length ? { caCerts: options.caCerts } : {};
  }

  send(req: HttpRequest): Promise<Outcome> {
    const startedMs = now();
    if (this.#closed) return failed(startedMs, "aborted");
    let prep: Prepared;
    try {
      prep = this.#prepared.get(req);
    } catch (err) {
      return failed(startedMs, "other", describeError(err));
    }
    const s = new H2Stream(prep, startedMs, startedMs + this.#timeoutMs);
    const promise = new Promise<Outcome>((resolve) => s.resolve = resolve);
    let pool = prep.pool;
    if (pool === null) {
      pool = this.#pools.get(prep.target.key) ?? null;
      if (pool === null) {
        pool = { target: prep.target, conns: [], queue: [], freed: null };
        this.#pools.set(prep.target.key, pool);
        this.#startSweeper();
      }
      prep.pool = pool;
    }
    // Fast path: nothing waits and the connection that just finished a stream has room.
    const freed = pool.freed;
    if (pool.queue.length === 0 && freed !== null && this.#hasRoom(freed)) {
      this.#start(freed, s);
      return promise;
    }
    pool.queue.push(s);
    this.#dispatch(pool);
    return promise;
  }

  /** Whether `c` can take another stream now. */
  #hasRoom(c: H2Conn): boolean {
    return c.ready && !c.closed && !c.draining &&
      c.streams.size < Math.min(c.peerMaxStreams, this.#maxStreams);
  }

  /** Starts queued requests on connections with a free stream; opens connections as needed. */
  #dispatch(pool: Pool): void {
    while (pool.queue.length > 0) {
      let best: H2Conn | null = null;
      /** Streams that connections still coming up are expected to take. */
      let room = 0;
      for (const c of pool.conns) {
        if (c.closed || c.draining) continue;
        // Until the server's SETTINGS arrive, one stream: every server allows that
        // much, and the first request need not wait a round trip.
        if (!c.ready) room += Math.max(0, this.#maxStreams - c.streams.size);
        const limit = c.ready
          ? Math.min(c.peerMaxStreams, this.#maxStreams)
          : c.conn === null
          ? 0
          : 1;
        if (c.streams.size >= limit) continue;
        if (best === null || c.streams.size < best.streams.size) best = c;
      }
      if (best !== null) {
        this.#start(best, pool.queue.shift()!);
        continue;
      }
      const live = pool.conns.filter((c) => !c.closed && !c.draining).length;
      if (live < this.#maxConns && pool.queue.length > room) {
        this.#open(pool);
        continue;
      }
      return;
    }
  }

  #open(pool: Pool): void {
    const c = new H2Conn(this, pool);
    pool.conns.push(c);
    this.#connect(c).catch((err) => {
      const kind = err instanceof H2ProtocolError ? "protocol" : classifyError(err);
      this.fail(c, c.closed ? "aborted" : kind, null, describeError(err));
    });
  }

  async #connect(c: H2Conn): Promise<void> {
    const t = c.pool.target;
    const opened = await openConn(t, "h2", this.#tlsOptions, AbortSignal.timeout(this.#timeoutMs));
    const conn = opened.conn;
    if (t.tls && opened.alpnProtocol !== "h2") {
      conn.close();
      this.#warn(
        `fast-h2: ${t.hostname}:${t.port} did not negotiate HTTP/2 over TLS ALPN (got ${
          opened.alpnProtocol === null ? "none" : JSON.stringify(opened.alpnProtocol)
        }); its requests are recorded as protocol errors`,
      );
      throw new H2ProtocolError(ErrorCode.HTTP_1_1_REQUIRED, "the server did not offer h2");
    }
    c.connectStartMs = opened.startMs;
    c.tcpEndMs = opened.tcpEndMs;
    c.setupEndMs = opened.endMs;
    if (c.closed) {
      conn.close();
      return;
    }
    c.conn = conn;
    c.id = ++this.#opened;
    c.push(PREFACE);
    c.push(encodeSettings([
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
      [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK],
    ]));
    c.push(encodeWindowUpdate(0, CONN_WINDOW - DEFAULT_WINDOW));
    this.#dispatch(c.pool);
    await this.#readLoop(c);
  }

  #warn(message: string): void {
    if (this.#warned) return;
    this.#warned = true;
    console.error(message);
  }

  async #readLoop(c: H2Conn): Promise<void> {
    const reader = c.reader;
    const conn = c.conn!;
    try {
      for (;;) {
        const n = await conn.read(reader.space());
        if (n === null) {
          this.fail(c, c.closed ? "aborted" : "reset", null, "the server closed the connection");
          return;
        }
        reader.commit(n);
        while (reader.next()) this.#onFrame(c, reader);
        if (c.wlen > 0) c.scheduleFlush();
      }
    } catch (err) {
      if (err instanceof H2ProtocolError) {
        this.fail(c, "protocol", err.code, err.message);
      } else if (err instanceof SyntaxError || err instanceof RangeError) {
        // HPACK decoding failed: the connection's compression state is lost.
        this.fail(c, "protocol", ErrorCode.COMPRESSION_ERROR, describeError(err));
      } else {
        this.fail(c, c.closed ? "aborted" : classifyError(err), null, describeError(err));
      }
    }
  }

  #onFrame(c: H2Conn, r: FrameReader): void {
    const type = r.type;
    const id = r.streamId;
    if (!c.ready && type !== FrameType.SETTINGS) {
      throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "the server preface is not SETTINGS");
    }
    if (c.contStream !== 0 && type !== FrameType.CONTINUATION) {
      throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "expected CONTINUATION");
    }
    switch (type) {
      case FrameType.DATA: {
        if (id === 0) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
        const length = r.length;
        c.recvUnacked += length;
        if (c.recvUnacked >= CONN_WINDOW / 2) {
          writeWindowUpdate(c.wbuf, c.reserve(13), 0, c.recvUnacked);
          c.recvUnacked = 0;
        }
        const octets = r.flags & Flag.PADDED ? dataLength(r) : length;
        const s = c.streams.get(id);
        if (s === undefined) return;
        if (s.ttfbMs === null) {
          this.#streamError(c, s, "protocol", ErrorCode.PROTOCOL_ERROR, "DATA before the response");
          return;
        }
        s.bytes += octets;
        if (s.firstBodyMs === null && octets > 0) s.firstBodyMs = now() - s.startedMs;
        if (r.flags & Flag.END_STREAM) {
          this.#finish(c, s, errorForStatus(s.status));
          return;
        }
        s.recvUnacked += length;
        if (s.recvUnacked >= STREAM_WINDOW / 2) {
          writeWindowUpdate(c.wbuf, c.reserve(13), id, s.recvUnacked);
          s.recvUnacked = 0;
        }
        return;
      }
      case FrameType.HEADERS: {
        if (id === 0) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
        let from = r.payloadStart;
        let to = r.payloadEnd;
        if (r.flags & (Flag.PADDED | Flag.PRIORITY)) {
          [from, to] = unpadded(r.buffer, r.payloadStart, r.payloadEnd, type, r.flags);
        }
        const endStream = (r.flags & Flag.END_STREAM) !== 0;
        if (r.flags & Flag.END_HEADERS) {
          this.#onHeaderBlock(c, id, r.buffer, from, to, endStream);
          return;
        }
        c.contStream = id;
        c.contEndStream = endStream;
        c.contLen = 0;
        c.contFrames = 0;
        this.#appendBlock(c, r.buffer, from, to);
        return;
      }
      case FrameType.CONTINUATION: {
        if (c.contStream === 0 || id !== c.contStream) {
          throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "unexpected CONTINUATION");
        }
        if (++c.contFrames > MAX_CONTINUATIONS) {
          throw new H2ProtocolError(
            ErrorCode.ENHANCE_YOUR_CALM,
            `header block in over ${MAX_CONTINUATIONS} CONTINUATION frames`,
          );
        }
        this.#appendBlock(c, r.buffer, r.payloadStart, r.payloadEnd);
        if (r.flags & Flag.END_HEADERS) {
          c.contStream = 0;
          this.#onHeaderBlock(c, id, c.contBuf, 0, c.contLen, c.contEndStream);
          c.contBuf = EMPTY;
        }
        return;
      }
      case FrameType.RST_STREAM: {
        if (id === 0) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
        const code = parseRstStream(r.buffer, r.payloadStart, r.payloadEnd);
        const s = c.streams.get(id);
        if (s !== undefined) {
          this.#finish(c, s, "reset", `the server reset the stream (code ${code})`);
        }
        return;
      }
      case FrameType.SETTINGS: {
        if (id !== 0) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
        if (r.flags & Flag.ACK) {
          if (r.length !== 0) {
            throw new H2ProtocolError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
          }
          return;
        }
        this.#applySettings(c, parseSettings(r.buffer, r.payloadStart, r.payloadEnd));
        c.pushControl(encodeSettings([], true));
        if (!c.ready) c.ready = true;
        this.#resumeBodies(c);
        this.#dispatch(c.pool);
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE with push disabled");
      case FrameType.PING: {
        if (r.length !== 8) throw new H2ProtocolError(ErrorCode.FRAME_SIZE_ERROR, "PING length");
        if (id !== 0) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if ((r.flags & Flag.ACK) === 0) c.pushControl(encodePing(r.buffer, r.payloadStart, true));
        return;
      }
      case FrameType.GOAWAY: {
        if (id !== 0) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        const { lastStreamId } = parseGoaway(r.buffer, r.payloadStart, r.payloadEnd);
        c.draining = true;
        // Streams the server will not process: failed, never re-sent.
        for (const s of [...c.streams.values()]) {
          if (s.id > lastStreamId) {
            this.#finish(c, s, "reset", "the server sent GOAWAY before processing the request");
          }
        }
        if (c.streams.size === 0) this.#closeConn(c);
        this.#dispatch(c.pool);
        return;
      }
      case FrameType.WINDOW_UPDATE: {
        const increment = parseWindowUpdate(r.buffer, r.payloadStart, r.payloadEnd);
        if (id === 0) {
          if (increment === 0) {
            throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
          }
          c.sendWindow += increment;
          if (c.sendWindow > MAX_WINDOW) {
            throw new H2ProtocolError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
          }
        } else {
          const s = c.streams.get(id);
          if (s === undefined) return;
          if (increment === 0 || s.sendWindow + increment > MAX_WINDOW) {
            this.#streamError(c, s, "protocol", ErrorCode.FLOW_CONTROL_ERROR);
            return;
          }
          s.sendWindow += increment;
        }
        this.#resumeBodies(c);
        return;
      }
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113, 4.1 and 5.3.2).
        return;
    }
  }

  #appendBlock(c: H2Conn, src: Uint8Array, from: number, to: number): void {
    const need = c.contLen + (to - from);
    if (need > MAX_HEADER_BLOCK) {
      throw new H2ProtocolError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `header block larger than ${MAX_HEADER_BLOCK} octets`,
      );
    }
    if (need > c.contBuf.length) {
      const grown = new Uint8Array(
        Math.min(MAX_HEADER_BLOCK, Math.max(need, c.contBuf.length * 2)),
      );
      grown.set(c.contBuf.subarray(0, c.contLen));
      c.contBuf = grown;
    }
    c.contBuf.set(src.subarray(from, to), c.contLen);
    c.contLen = need;
  }

  #onHeaderBlock(
    c: H2Conn,
    id: number,
    src: Uint8Array,
    from: number,
    to: number,
    endStream: boolean,
  ): void {
    // Always decode, even for a stream we dropped: the HPACK state is shared.
    const status = c.decoder.decodeStatus(src, from, to);
    const s = c.streams.get(id);
    if (s === undefined) {
      if (id >= c.nextStreamId || (id & 1) === 0) {
        throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      }
      return;
    }
    if (s.ttfbMs === null) {
      if (status === 0) {
        this.#streamError(c, s, "protocol", ErrorCode.PROTOCOL_ERROR, "a response without :status");
        return;
      }
      if (status < 200) {
        // Informational (1xx): the final response follows.
        if (endStream) {
          this.#streamError(
            c,
            s,
            "protocol",
            ErrorCode.PROTOCOL_ERROR,
            `an interim ${status} ended the stream`,
          );
        }
        return;
      }
      s.status = status;
      s.ttfbMs = now() - s.startedMs;
    } else if (!endStream) {
      // Trailers must end the stream.
      this.#streamError(c, s, "protocol", ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
      return;
    }
    if (endStream) this.#finish(c, s, errorForStatus(s.status));
  }

  #applySettings(c: H2Conn, settings: [number, number][]): void {
    for (const [key, value] of settings) {
      switch (key) {
        case Setting.MAX_CONCURRENT_STREAMS:
          c.peerMaxStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          const delta = value - c.peerInitialWindow;
          c.peerInitialWindow = value;
          for (const s of c.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) {
              throw new H2ProtocolError(ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
            }
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          c.peerMaxFrame = value;
          break;
      }
    }
  }

  /** Opens a stream for `s` on `c` and queues its HEADERS (and body). */
  #start(c: H2Conn, s: H2Stream): void {
    const id = c.nextStreamId;
    c.nextStreamId += 2;
    if (c.nextStreamId > MAX_STREAM_ID) c.draining = true;
    s.id = id;
    s.sendWindow = c.peerInitialWindow;
    s.conn = c.id;
    // A request that waited for this connection's setup carries the part after its own start.
    if (s.startedMs < c.setupEndMs) this.#setupShare(c, s);
    c.streams.set(id, s);
    const prep = s.prep;
    if (prep.frame !== null && prep.block.length <= c.peerMaxFrame) {
      const frame = prep.frame;
      const at = c.reserve(frame.length);
      const w = c.wbuf;
      w.set(frame, at);
      w[at + 5] = (id >>> 24) & 0x7f;
      w[at + 6] = (id >>> 16) & 0xff;
      w[at + 7] = (id >>> 8) & 0xff;
      w[at + 8] = id & 0xff;
    } else {
      this.#writeHeaderFrames(c, s);
    }
    if (prep.body !== null) this.#sendBody(c, s);
    c.scheduleFlush();
  }

  /** See the module doc: the part of `c`'s connect and handshake after `s` started. */
  #setupShare(c: H2Conn, s: H2Stream): void {
    const from = Math.max(s.startedMs, c.connectStartMs);
    if (from < c.tcpEndMs) s.connectMs = c.tcpEndMs - from;
    if (c.pool.target.tls) s.tlsMs = c.setupEndMs - Math.max(from, c.tcpEndMs);
  }

  #writeHeaderFrames(c: H2Conn, s: H2Stream): void {
    const block = s.prep.block;
    const endStream = s.prep.body === null ? Flag.END_STREAM : 0;
    let off = 0;
    let first = true;
    while (first || off < block.length) {
      const n = Math.min(c.peerMaxFrame, block.length - off);
      const last = off + n >= block.length;
      const at = c.reserve(FRAME_HEADER_LENGTH + n);
      writeFrameHeader(
        c.wbuf,
        at,
        n,
        first ? FrameType.HEADERS : FrameType.CONTINUATION,
        (first ? endStream : 0) | (last ? Flag.END_HEADERS : 0),
        s.id,
      );
      c.wbuf.set(block.subarray(off, off + n), at + FRAME_HEADER_LENGTH);
      off += n;
      first = false;
    }
  }

  /** Sends as much of the body as the windows allow; parks the stream when blocked. */
  #sendBody(c: H2Conn, s: H2Stream): void {
    const body = s.prep.body!;
    while (s.bodySent < body.length) {
      const n = Math.min(body.length - s.bodySent, c.peerMaxFrame, c.sendWindow, s.sendWindow);
      if (n <= 0) {
        if (!c.blocked.includes(s)) c.blocked.push(s);
        return;
      }
      const last = s.bodySent + n === body.length;
      const at = c.reserve(FRAME_HEADER_LENGTH + n);
      writeFrameHeader(c.wbuf, at, n, FrameType.DATA, last ? Flag.END_STREAM : 0, s.id);
      c.wbuf.set(body.subarray(s.bodySent, s.bodySent + n), at + FRAME_HEADER_LENGTH);
      s.bodySent += n;
      c.sendWindow -= n;
      s.sendWindow -= n;
    }
  }

  #resumeBodies(c: H2Conn): void {
    if (c.blocked.length === 0) return;
    const blocked = c.blocked;
    c.blocked = [];
    for (const s of blocked) if (!s.done) this.#sendBody(c, s);
    c.scheduleFlush();
  }

  /** Fails one stream and cancels it with RST_STREAM; the connection lives on. */
  #streamError(c: H2Conn, s: H2Stream, kind: ErrorKind, code: number, message?: string): void {
    c.push(encodeRstStream(s.id, code));
    this.#finish(c, s, kind, message);
  }

  #finish(c: H2Conn, s: H2Stream, error: ErrorKind, message?: string): void {
    if (s.done) return;
    s.done = true;
    c.streams.delete(s.id);
    c.pool.freed = c;
    s.resolve(outcome(s, error, message));
    if (c.draining && c.streams.size === 0) this.#closeConn(c);
    if (c.pool.queue.length > 0) this.#dispatch(c.pool);
  }

  /**
   * Ends a connection and fails every stream on it with `kind`; with an
   * HTTP/2 error `code`, tells the server with GOAWAY first. Requests still
   * queued fail too when no other connection can take them.
   */
  fail(c: H2Conn, kind: ErrorKind, code: number | null, message?: string): void {
    if (c.closed) return;
    // We accept no server-initiated streams, so the last stream id is 0.
    if (code !== null && c.conn !== null) c.push(encodeGoaway(0, code));
    this.#closeConn(c);
    const streams = [...c.streams.values()];
    c.streams.clear();
    for (const s of streams) {
      s.done = true;
      s.resolve(outcome(s, kind, message));
    }
    const pool = c.pool;
    const others = pool.conns.some((o) => !o.closed && !o.draining);
    if (!others && !c.ready) {
      // The connection never came up: the requests waiting for it get its error.
      const queued = pool.queue;
      pool.queue = [];
      for (const s of queued) s.resolve(outcome(s, kind, message));
    }
    if (pool.queue.length > 0 && !this.#closed) this.#dispatch(pool);
  }

  #closeConn(c: H2Conn): void {
    if (c.closed) return;
    c.closed = true;
    c.draining = true;
    const pool = c.pool;
    const i = pool.conns.indexOf(c);
    if (i >= 0) pool.conns.splice(i, 1);
    if (pool.freed === c) pool.freed = null;
    if (c.conn === null) return;
    const conn = c.conn;
    // Let a pending flush (RST_STREAM, GOAWAY) go out before closing.
    const close = () => {
      try {
        conn.close();
      } catch {
        // Already closed by the peer or the runtime.
      }
    };
    if (c.wlen > 0 && !c.flushing) {
      const buf = c.wbuf.subarray(0, c.wlen);
      c.wlen = 0;
      conn.write(buf).then(close, close);
    } else {
      close();
    }
  }

  #startSweeper(): void {
    if (this.#sweeper !== null) return;
    const tick = Math.min(250, Math.max(5, this.#timeoutMs / 10));
    const sweeper = setInterval(() => this.#sweep(), tick);
    Deno.unrefTimer(sweeper);
    this.#sweeper = sweeper;
  }

  #sweep(): void {
    const t = now();
    for (const pool of this.#pools.values()) {
      if (pool.queue.length > 0 && pool.queue[0]!.deadline <= t) {
        const keep: H2Stream[] = [];
        for (const s of pool.queue) {
          if (s.deadline <= t) s.resolve(outcome(s, "timeout"));
          else keep.push(s);
        }
        pool.queue = keep;
      }
      for (const c of [...pool.conns]) {
        if (!c.ready && c.createdMs + this.#timeoutMs <= t) {
          this.fail(c, "timeout", null);
          continue;
        }
        // A write that made no progress for a whole timeout: the server reads nothing, and
        // the connection would hold what is queued on it for the rest of the run.
        if (!c.flushing || c.written !== c.writtenAtSweep) {
          c.writtenAtSweep = c.written;
          c.stuckSinceMs = t;
        } else if (t - c.stuckSinceMs >= this.#timeoutMs) {
          this.fail(c, "timeout", null);
          continue;
        }
        for (const s of c.streams.values()) {
          if (s.deadline <= t) this.#streamError(c, s, "timeout", ErrorCode.CANCEL);
        }
      }
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const pool of this.#pools.values()) {
      const queued = pool.queue;
      pool.queue = [];
      for (const s of queued) s.resolve(outcome(s, "aborted"));
      for (const c of [...pool.conns]) this.fail(c, "aborted", null);
    }
    this.#pools.clear();
    return Promise.resolve();
  }
}

/**
 * Creates the `fast-h2` client profile: HTTP/2 over `Deno.connect` (h2c
 * prior knowledge) or `Deno.startTls` (ALPN `h2`), with `connections` ×
 * `streams` from the options, no retries.
 *
 * @example
 * ```ts ignore
 * import { createFastH2Client } from "./fast_h2.ts";
 * const client = createFastH2Client({ concurrency: 20, timeoutMs: 5_000, connections: 2, streams: 10 });
 * const outcome = await client.send({ url: "http://127.0.0.1:8080/", method: "GET", headers: [], body: null });
 * await client.close();
 * ```
 */
export function createFastH2Client(options: ClientOptions): Client {
  return new FastH2Client(options);
}
