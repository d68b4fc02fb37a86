/**
 * A minimal HTTP/1.1 server over `Deno.listen`, for the faults `Deno.serve`
 * cannot produce: it owns the socket, so it can close a connection before
 * any response byte and write malformed responses.
 *
 * Scope: plain TCP, HTTP/1.0 and 1.1, keep-alive, `content-length` and
 * chunked request bodies, pipelined requests answered in order, no TLS, no
 * HTTP/2. The status line and headers are written together with the first
 * body byte, so a body stream that fails before its first byte becomes a
 * connection closed with nothing written (a true "reset before any byte";
 * Deno has no SO_LINGER, so the close is a FIN, not an RST).
 *
 * @module
 */
import { wireFaults } from "./_faults.ts";

/** A running raw server. */
export interface RawServer {
  addr: Deno.NetAddr;
  /** Stops accepting, closes every connection and waits for the handlers. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveRawHttp1}. */
export interface RawServeOptions {
  hostname: string;
  port: number;
  /** Request bodies larger than this are not read in full; the connection closes after the response. */
  maxBodyBytes: number;
  /** Largest request head (request line + headers). */
  maxHeadBytes?: number;
}

/** `connection` is one object per accepted connection: its identity for the stats. */
type Handler = (
  req: Request,
  remoteAddr: Deno.NetAddr,
  connection: object,
) => Promise<Response> | Response;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = [13, 10, 13, 10];
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  413: "Content Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function indexOf(buf: Uint8Array, pattern: number[]): number {
  outer: for (let i = 0; i + pattern.length <= buf.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (buf[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

/** Buffered reads from a connection; at most one `read` is ever pending. */
class ConnReader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #pending: Promise<boolean> | null = null;
  #eof = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  get buffered(): number {
    return this.#buf.length;
  }

  /** Reads more bytes into the buffer; `false` at end of stream. */
  fill(): Promise<boolean> {
    if (this.#eof) return Promise.resolve(false);
    this.#pending ??= (async () => {
      const chunk = new Uint8Array(16 * 1024);
      const n = await this.#conn.read(chunk).catch(() => null);
      this.#pending = null;
      if (n === null) {
        this.#eof = true;
        return false;
      }
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf, 0);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
      return true;
    })();
    return this.#pending;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** The bytes up to and including the next `pattern`, or `null` at EOF or past `max` bytes. */
  async readUntil(pattern: number[], max: number): Promise<Uint8Array | null> {
    // Bounded: every iteration adds bytes or returns.
    while (true) {
      const i = indexOf(this.#buf, pattern);
      if (i >= 0) return this.#take(i + pattern.length);
      if (this.#buf.length > max) return null;
      if (!(await this.fill())) return null;
    }
  }

  /** Exactly `n` bytes, or `null` at EOF. */
  async readExact(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) {
      if (!(await this.fill())) return null;
    }
    return this.#take(n);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

function head(status: number, statusText: string, headers: Headers, extra: string[]): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${statusText || REASONS[status] || "Unknown"}`];
  for (const [k, v] of headers) {
    if (k === "content-length" || k === "transfer-encoding" || k === "connection") continue;
    lines.push(`${k}: ${v}`);
  }
  lines.push(...extra, "", "");
  return encoder.encode(lines.join("\r\n"));
}

function plain(status: number, text: string): Uint8Array {
  const body = encoder.encode(text);
  return encoder.encode(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\ncontent-type: text/plain\r\n` +
      `content-length: ${body.length}\r\nconnection: close\r\n\r\n${text}`,
  );
}

interface ParsedHead {
  method: string;
  target: string;
  minor: number;
  headers: Headers;
}

function parseHead(bytes: Uint8Array): ParsedHead | null {
  const lines = decoder.decode(bytes).split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? "");
  if (!m) return null;
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      return null;
    }
  }
  return { method: m[1]!, target: m[2]!, minor: Number(m[3]), headers };
}

/** Reads a chunked body; `null` on a framing error, `tooLarge` past `limit`. */
async function readChunked(
  r: ConnReader,
  limit: number,
): Promise<{ body: Uint8Array; tooLarge: boolean } | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  // Bounded by the limit: every iteration consumes a chunk or returns.
  while (true) {
    const line = await r.readUntil([13, 10], 1024);
    if (line === null) return null;
    const n = parseInt(decoder.decode(line).split(";")[0]!.trim(), 16);
    if (!Number.isInteger(n) || n < 0) return null;
    if (n === 0) {
      // Trailers, up to the empty line.
      for (let i = 0; i < 64; i++) {
        const t = await r.readUntil([13, 10], 8 * 1024);
        if (t === null) return null;
        if (t.length === 2) return { body: join(parts, size), tooLarge: false };
      }
      return null;
    }
    if (size + n > limit) return { body: join(parts, size), tooLarge: true };
    const chunk = await r.readExact(n + 2);
    if (chunk === null) return null;
    parts.push(chunk.subarray(0, n));
    size += n;
  }
}

function join(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes a response; `false` when the connection must close (body failed, or declared framing). */
async function writeResponse(
  conn: Deno.Conn,
  res: Response,
  isHead: boolean,
  keepAlive: boolean,
): Promise<boolean> {
  const connection = `connection: ${keepAlive ? "keep-alive" : "close"}`;
  const declared = res.headers.get("content-length");
  const reader = res.body?.getReader();
  if (!reader || isHead) {
    await reader?.cancel().catch(() => {});
    const len = isHead && declared !== null ? declared : "0";
    await writeAll(
      conn,
      head(res.status, res.statusText, res.headers, [`content-length: ${len}`, connection]),
    );
    return keepAlive;
  }
  if (declared === null) {
    // Buffer, then send with a content-length. A body that fails sends nothing at all.
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        size += value.length;
      }
    } catch {
      return false;
    }
    const h = head(res.status, res.statusText, res.headers, [
      `content-length: ${size}`,
      connection,
    ]);
    await writeAll(conn, join([h, ...parts], h.length + size));
    return keepAlive;
  }
  // Declared length: stream, writing the head with the first chunk; a failure closes mid-way.
  let first = true;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (first) {
        await writeAll(
          conn,
          head(res.status, res.statusText, res.headers, [
            `content-length: ${declared}`,
            connection,
          ]),
        );
        first = false;
      }
      await writeAll(conn, value);
    }
  } catch {
    return false;
  }
  if (first) {
    await writeAll(
      conn,
      head(res.status, res.statusText, res.headers, [`content-length: ${declared}`, connection]),
    );
  }
  return keepAlive;
}

async function serveConn(
  conn: Deno.Conn,
  handler: Handler,
  options: RawServeOptions,
): Promise<void> {
  const r = new ConnReader(conn);
  const remote = conn.remoteAddr as Deno.NetAddr;
  const identity = {};
  // Bounded by the connection: each iteration serves one request or returns.
  while (true) {
    const rawHead = await r.readUntil(CRLFCRLF, options.maxHeadBytes ?? 64 * 1024);
    if (rawHead === null) {
      if (r.buffered > 0) await writeAll(conn, plain(431, "Request head too large or incomplete"));
      return;
    }
    const parsed = parseHead(rawHead);
    if (!parsed) {
      await writeAll(conn, plain(400, "Malformed request"));
      return;
    }
    const { method, target, minor, headers } = parsed;
    let mustClose = false;
    let body: Uint8Array | null = null;
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      const chunked = await readChunked(r, options.maxBodyBytes);
      if (chunked === null) {
        await writeAll(conn, plain(400, "Malformed chunked body"));
        return;
      }
      // Past the limit: hand over limit+1 bytes' worth of declared size so the app answers 413.
      if (chunked.tooLarge) {
        mustClose = true;
        headers.set("content-length", String(options.maxBodyBytes + 1));
      }
      headers.delete("transfer-encoding");
      body = chunked.tooLarge ? new Uint8Array(0) : chunked.body;
    } else if (headers.has("content-length")) {
      const cl = headers.get("content-length")!;
      if (!/^\d+$/.test(cl)) {
        await writeAll(conn, plain(400, "Invalid content-length"));
        return;
      }
      const n = Number(cl);
      if (n > options.maxBodyBytes) {
        mustClose = true; // the body stays unread; the app answers 413 from the header
        body = new Uint8Array(0);
      } else {
        body = await r.readExact(n);
        if (body === null) return;
      }
    }
    const host = headers.get("host") ?? `${options.hostname}:${options.port}`;
    const url = target.startsWith("/") ? `http://${host}${target}` : target;
    const gone = new AbortController();
    // Watch for the client leaving while the handler runs (a read that returns data just buffers it).
    // With a pipelined request already buffered there is nothing to watch: reading more would wait
    // for bytes a pipelining client only sends after its answers.
    const watch = r.buffered > 0 ? Promise.resolve() : r.fill().then((more) => {
      if (!more) gone.abort();
    });
    let req: Request;
    try {
      const init: RequestInit = { method, headers, signal: gone.signal };
      if (body !== null && method !== "GET" && method !== "HEAD") init.body = body as BodyInit;
      req = new Request(url, init);
    } catch {
      await writeAll(conn, plain(400, "Malformed request"));
      return;
    }
    const res = await handler(req, remote, identity);
    const fault = wireFaults.get(res);
    if (fault?.kind === "malformed" && fault.bytes) {
      await res.body?.cancel().catch(() => {});
      await writeAll(conn, fault.bytes);
      return;
    }
    const keepAlive = !mustClose && minor === 1 &&
      !/\bclose\b/i.test(headers.get("connection") ?? "");
    if (!(await writeResponse(conn, res, method === "HEAD", keepAlive))) return;
    await watch;
    if (gone.signal.aborted) return;
  }
}

/**
 * Starts the raw HTTP/1.1 server.
 *
 * @example
 * ```ts ignore
 * import { serveRawHttp1 } from "./_raw_http1.ts";
 * const server = serveRawHttp1(
 *   { hostname: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20 },
 *   () => new Response("ok"),
 * );
 * await server.close();
 * ```
 */
export function serveRawHttp1(options: RawServeOptions, handler: Handler): RawServer {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const addr = listener.addr as Deno.NetAddr;
  const opts = { ...options, port: addr.port };
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const accepting = (async () => {
    // Ends when the listener closes.
    for await (const conn of listener) {
      conns.add(conn);
      const task: Promise<void> = serveConn(conn, handler, opts)
        .catch(() => {})
        .finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
          tasks.delete(task);
        });
      tasks.add(task);
    }
  })().catch(() => {});
  let closed: Promise<void> | null = null;
  return {
    addr,
    close(): Promise<void> {
      closed ??= (async () => {
        listener.close();
        for (const c of conns) {
          try {
            c.close();
          } catch { /* already closed */ }
        }
        await accepting;
        await Promise.all([...tasks]);
      })();
      return closed;
    },
  };
}
