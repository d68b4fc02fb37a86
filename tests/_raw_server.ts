/**
 * Test helper: a server on raw sockets that answers every request on a
 * connection with the same bytes, whatever they are (a 1xx or 600 status, a
 * malformed head), and keeps reading; at most 100 answers a connection.
 * Bound to 127.0.0.2: a host other than 127.0.0.1 to Deno's permissions.
 */

const HOST = "127.0.0.2";

/** A running raw server. */
export interface RawServer {
  port: number;
  /** e.g. `http://127.0.0.2:41234/` */
  url: string;
  /** Stops listening and closes every open connection. */
  close(): void;
}

/**
 * Listens on 127.0.0.2 (a free port) and answers each read with `raw`.
 *
 * @example
 * ```ts ignore
 * const server = rawServer("HTTP/1.1 101 Switching Protocols\r\ncontent-length: 0\r\n\r\n");
 * // … send to server.url …
 * server.close();
 * ```
 */
export function rawServer(raw: string): RawServer {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const bytes = new TextEncoder().encode(raw);
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buf = new Uint8Array(16 * 1024);
        try {
          for (let i = 0; i < 100; i++) {
            if (await conn.read(buf) === null) break;
            await conn.write(bytes);
          }
        } catch {
          // the client gave up on the connection
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      })();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    url: `http://${HOST}:${port}/`,
    close: () => {
      listener.close();
      for (const c of conns) c.close();
    },
  };
}
