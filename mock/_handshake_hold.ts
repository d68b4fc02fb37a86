/**
 * `--setup-at-handshake`: the mock's connection setup spent where a real
 * server spends it, in the TLS handshake, instead of in the connection's
 * first response.
 *
 * Why: by default the mock charges a new connection's setup
 * (`setupRtts × rttMs`) by delaying the first request on it, so a client
 * timing its own phases sees a fast connect and TLS and a slow first byte,
 * and its split of a difference into setup and the rest cannot match the
 * `/stats` attribution. Holding the connection for the setup time before its
 * TLS handshake puts that time in the client's `tls_ms`, so both splits
 * measure the same thing.
 *
 * How: Deno's TLS listener starts the handshake as soon as it accepts, so
 * the hold cannot sit between `accept()` and `handshake()`. A plain TCP
 * front listener takes the client's connection, reads nothing for the hold
 * time (the ClientHello waits in the socket), then opens one connection to
 * the mock's own TLS listener on loopback and copies bytes both ways. One
 * front connection is one back connection, so the mock still tells
 * connections apart; the peer address it sees is the front's. Over plain TCP
 * there is no handshake to hold (the kernel completes the connect before the
 * server sees it): the option needs TLS.
 *
 * @module
 */

/** Options of {@linkcode serveHandshakeHold}. */
export interface HandshakeHoldOptions {
  /** Where clients connect. */
  hostname: string;
  port: number;
  /** The mock's TLS listener, on loopback. */
  backend: Deno.NetAddr;
  /** How long to hold each new connection before its handshake, in ms. */
  holdMs: number;
}

/** A running front listener. */
export interface HandshakeHold {
  addr: Deno.NetAddr;
  /** Stops accepting and closes every connection it carries. */
  close(): Promise<void>;
}

function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch { /* already closed */ }
}

/**
 * Starts the front listener. Every loop is bounded by a connection's life:
 * the copy of each direction ends when either side closes.
 *
 * @example
 * ```ts ignore
 * import { serveHandshakeHold } from "./_handshake_hold.ts";
 * const front = serveHandshakeHold({ hostname: "127.0.0.1", port: 0, backend: tls.addr, holdMs: 120 });
 * await front.close();
 * ```
 */
export function serveHandshakeHold(options: HandshakeHoldOptions): HandshakeHold {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new Set<Deno.Conn>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const pending = new Set<Promise<void>>();
  let closed = false;
  const carry = async (client: Deno.Conn): Promise<void> => {
    open.add(client);
    try {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, options.holdMs);
        timers.add(t);
      });
      if (closed) return;
      const back = await Deno.connect({
        hostname: options.backend.hostname,
        port: options.backend.port,
      });
      open.add(back);
      back.setNoDelay(true);
      try {
        // Each direction ends when its source closes; then both sides are closed.
        await Promise.race([
          client.readable.pipeTo(back.writable, { preventClose: true }).catch(() => {}),
          back.readable.pipeTo(client.writable, { preventClose: true }).catch(() => {}),
        ]);
      } finally {
        open.delete(back);
        closeQuietly(back);
      }
    } catch {
      /* the backend refused or a side reset: drop this connection */
    } finally {
      open.delete(client);
      closeQuietly(client);
    }
  };
  const accepting = (async () => {
    // Bounded by the listener: ends when close() closes it.
    while (!closed) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch (err) {
        if (closed || err instanceof Deno.errors.BadResource) return;
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      (client as Deno.TcpConn).setNoDelay(true);
      const p: Promise<void> = carry(client).finally(() => pending.delete(p));
      pending.add(p);
    }
  })();
  return {
    addr: listener.addr as Deno.NetAddr,
    async close(): Promise<void> {
      closed = true;
      try {
        listener.close();
      } catch { /* already closed */ }
      await accepting;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of open) closeQuietly(c);
      await Promise.all([...pending]);
    },
  };
}
