/**
 * Serves HTTP with Deno's own server (hyper: HTTP/1.1, h2c prior knowledge,
 * and with TLS ALPN `h2`/`http/1.1`), one accepted connection at a time, so
 * every request knows the connection it came on. `Deno.serve` gives the
 * handler only the peer's address and port, and clients reuse ports under
 * connection churn, so an address cannot identify a connection.
 *
 * Mechanism: `Deno.listen` (or `Deno.listenTls`) accepts; each connection
 * is handed to `serveHttpOnConnection`, the function behind `Deno.serve`
 * that node:http also uses, reached through `Deno[Deno.internal]` because
 * Deno does not export it. Where it is missing (another Deno version), this
 * falls back to `Deno.serve` and {@linkcode ConnServer.perConnection} is
 * `false`: connections are then told apart by address and port, the
 * documented approximation.
 *
 * @module
 */

import { serveHandshakeHold } from "./_handshake_hold.ts";

/** What a handler learns about a request's connection. */
export interface ConnInfo {
  remoteAddr: Deno.NetAddr;
  /** One object per accepted connection: the identity of the connection. */
  connection: object;
  /** Whether the connection's setup was held before its TLS handshake (`holdSetupMs`). */
  setupHeld?: boolean;
}

/** Options of {@linkcode serveConnections}. */
export interface ServeConnsOptions {
  hostname: string;
  port: number;
  cert?: string;
  key?: string;
  /** Called for errors a handler threw; its response is sent. */
  onError: (err: unknown) => Response;
  /**
   * With TLS: hold each new connection this long before its TLS handshake
   * (`_handshake_hold.ts`), so a client's TLS time carries the mock's
   * connection setup.
   */
  holdSetupMs?: number;
}

/** A running server. */
export interface ConnServer {
  addr: Deno.NetAddr;
  /** Whether connections are identified by the connection (not by address and port). */
  perConnection: boolean;
  /** Stops accepting, closes the connections and waits for them. */
  shutdown(): Promise<void>;
}

type Handler = (req: Request, info: ConnInfo) => Response | Promise<Response>;

type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (req: Request) => Response | Promise<Response>,
  onError: (err: unknown) => Response,
  onListen: () => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

function internalServeOnConnection(): ServeOnConnection | null {
  const d = Deno as unknown as Record<symbol | string, unknown>;
  const internal = d[d.internal as symbol] as Record<string, unknown> | undefined;
  const fn = internal?.serveHttpOnConnection;
  return typeof fn === "function" ? fn as ServeOnConnection : null;
}

/** Addresses as keys, for the `Deno.serve` fallback only. */
function addressIdentity(): (addr: Deno.NetAddr) => object {
  const byAddr = new Map<string, object>();
  return (addr) => {
    const key = `${addr.hostname}:${addr.port}`;
    let id = byAddr.get(key);
    if (id === undefined) {
      id = {};
      byAddr.set(key, id);
      if (byAddr.size > 65_536) byAddr.delete(byAddr.keys().next().value!);
    }
    return id;
  };
}

/**
 * Starts the server.
 *
 * @example
 * ```ts ignore
 * import { serveConnections } from "./_serve_conns.ts";
 * const server = serveConnections(
 *   { hostname: "127.0.0.1", port: 0, onError: () => new Response("error", { status: 500 }) },
 *   (_req, info) => new Response(String(info.remoteAddr.port)),
 * );
 * await server.shutdown();
 * ```
 */
export function serveConnections(options: ServeConnsOptions, handler: Handler): ConnServer {
  const serveOn = internalServeOnConnection();
  const hold = options.holdSetupMs ?? 0;
  const tls = options.cert !== undefined && options.key !== undefined;
  if (hold > 0 && (!tls || serveOn === null)) {
    throw new TypeError(
      "Cannot hold connection setup at the handshake: it needs TLS (cert and key) and Deno's per-connection server",
    );
  }
  if (serveOn === null) {
    const identity = addressIdentity();
    const common = {
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
      onError: options.onError,
    };
    const h = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
      handler(req, { remoteAddr: info.remoteAddr, connection: identity(info.remoteAddr) });
    const server = options.cert !== undefined && options.key !== undefined
      ? Deno.serve({ ...common, cert: options.cert, key: options.key }, h)
      : Deno.serve(common, h);
    return { addr: server.addr, perConnection: false, shutdown: () => server.shutdown() };
  }

  // Holding setup: the TLS listener sits behind a front listener on the asked address.
  const bindHost = hold > 0
    ? (options.hostname.includes(":") ? "::1" : "127.0.0.1")
    : options.hostname;
  const bindPort = hold > 0 ? 0 : options.port;
  const listener: Deno.Listener = options.cert !== undefined && options.key !== undefined
    ? Deno.listenTls({
      hostname: bindHost,
      port: bindPort,
      cert: options.cert,
      key: options.key,
      alpnProtocols: ["h2", "http/1.1"],
    })
    : Deno.listen({ hostname: options.hostname, port: options.port });
  // Open connections and their servers. Shut down gracefully (in-flight responses are written),
  // never through the signal: aborting a finished connection's signal makes Deno close a resource
  // that is already gone, an uncaught BadResource.
  const open = new Map<Promise<void>, { shutdown(): Promise<void> }>();
  const never = new AbortController().signal;
  let closed = false;
  const accepting = (async () => {
    // Bounded by the listener: ends when shutdown() closes it.
    while (!closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closed || err instanceof Deno.errors.BadResource) return;
        // Out of file descriptors or a failed handshake: keep serving, retry shortly.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      // A mock must not add Nagle delays of its own: small writes go out at once.
      (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
      const info: ConnInfo = {
        remoteAddr: conn.remoteAddr as Deno.NetAddr,
        connection: {},
        ...(hold > 0 ? { setupHeld: true } : {}),
      };
      let served: ReturnType<ServeOnConnection>;
      try {
        served = serveOn(conn, never, (req) => handler(req, info), options.onError, () => {});
      } catch {
        try {
          conn.close();
        } catch { /* already closed */ }
        continue;
      }
      // A reset or a TLS failure ends that connection only.
      const done: Promise<void> = served.finished.catch(() => {}).finally(() => open.delete(done));
      open.set(done, served);
    }
  })();
  let front: ReturnType<typeof serveHandshakeHold> | null = null;
  try {
    front = hold > 0
      ? serveHandshakeHold({
        hostname: options.hostname,
        port: options.port,
        backend: listener.addr as Deno.NetAddr,
        holdMs: hold,
      })
      : null;
  } catch (err) {
    closed = true;
    listener.close();
    throw err;
  }
  return {
    addr: front?.addr ?? listener.addr as Deno.NetAddr,
    perConnection: true,
    async shutdown(): Promise<void> {
      closed = true;
      await front?.close();
      try {
        listener.close();
      } catch { /* already closed */ }
      await accepting;
      await Promise.all([...open].map(([done, served]) =>
        served.shutdown().catch(() => {})
          .then(() => done)
      ));
    },
  };
}
