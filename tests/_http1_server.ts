/**
 * Test helper: a tiny HTTP/1.1-only server (no HTTP/2 of any kind), written
 * on raw sockets so tests can stand in for nginx or `python3 -m http.server`
 * without either being installed. It answers every request `200 ok`, keeps
 * connections alive, reads bodies by Content-Length, and answers the HTTP/2
 * preface as nginx does: `400 Bad Request` and a close.
 *
 * Bound to 127.0.0.2 by default: a loopback address that Deno permissions
 * treat as a host other than 127.0.0.1, like a user's own API.
 */

/** A running HTTP/1.1-only server. */
export interface Http1Server {
  /** e.g. `http://127.0.0.2:41234` (no trailing slash). */
  url: string;
  port: number;
  /** Requests answered so far. */
  requests(): number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

const OK = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok",
);
const BAD = new TextEncoder().encode(
  "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
);

function indexOfHeadEnd(buf: Uint8Array, len: number): number {
  for (let i = 3; i < len; i++) {
    if (buf[i - 3] === 13 && buf[i - 2] === 10 && buf[i - 1] === 13 && buf[i] === 10) return i + 1;
  }
  return -1;
}

async function handle(
  conn: Deno.Conn,
  counted: () => void,
  closeAfterEach: boolean,
): Promise<void> {
  let buf = new Uint8Array(16 * 1024);
  let len = 0;
  try {
    for (let guard = 0; guard < 1_000_000; guard++) {
      let end = indexOfHeadEnd(buf, len);
      while (end < 0) {
        if (len === buf.length) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf);
          buf = bigger;
        }
        const n = await conn.read(buf.subarray(len));
        if (n === null) return;
        len += n;
        end = indexOfHeadEnd(buf, len);
      }
      const head = new TextDecoder().decode(buf.subarray(0, end));
      if (!/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(head)) {
        await conn.write(BAD);
        return;
      }
      const cl = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      while (len < end + cl) {
        if (end + cl > buf.length) {
          const bigger = new Uint8Array(end + cl);
          bigger.set(buf.subarray(0, len));
          buf = bigger;
        }
        const n = await conn.read(buf.subarray(len));
        if (n === null) return;
        len += n;
      }
      counted();
      await conn.write(OK);
      buf.copyWithin(0, end + cl, len);
      len -= end + cl;
      if (closeAfterEach || /\r\nconnection:\s*close/i.test(head)) return;
    }
  } catch {
    // the client went away
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Starts the server on `hostname` (default 127.0.0.2), port 0, optionally
 * over TLS offering only `http/1.1` by ALPN. `closeAfterEach`: close every
 * connection after its first response, without saying so in a
 * `Connection: close` header (servers that do this exist).
 *
 * @example
 * ```ts ignore
 * const server = serveHttp1();
 * await fetch(`${server.url}/`);
 * await server.close();
 * ```
 */
export function serveHttp1(
  options: { hostname?: string; tls?: { cert: string; key: string }; closeAfterEach?: boolean } =
    {},
): Http1Server {
  const hostname = options.hostname ?? "127.0.0.2";
  const listener: Deno.Listener = options.tls
    ? Deno.listenTls({ hostname, port: 0, ...options.tls, alpnProtocols: ["http/1.1"] })
    : Deno.listen({ hostname, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let requests = 0;
  let connections = 0;
  const open = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections++;
        conns.add(conn);
        const p = handle(conn, () => requests++, options.closeAfterEach ?? false);
        open.add(p);
        p.finally(() => {
          open.delete(p);
          conns.delete(conn);
        });
      }
    } catch {
      // listener closed
    }
  })();
  return {
    url: `${options.tls ? "https" : "http"}://${hostname}:${port}`,
    port,
    requests: () => requests,
    connections: () => connections,
    async close() {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed meanwhile
        }
      }
      await Promise.race([
        Promise.allSettled([...open]),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    },
  };
}
