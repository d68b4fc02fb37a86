/**
 * Opens a raw engine's connection: `Deno.connect`, then for `https:`
 * `Deno.startTls` and an awaited handshake, so the TCP connect and the TLS
 * handshake are timed apart (docs/phases.md). Shared by `fast` and
 * `fast-h2`.
 *
 * @module
 */
import { now } from "../clock.ts";
import type { Target } from "./_prepared_cache.ts";

/** A connection just opened, with the clock readings of its setup. */
export interface OpenedConn {
  conn: Deno.Conn;
  /** When the TCP connect began. */
  startMs: number;
  /** When the TCP connect ended. */
  tcpEndMs: number;
  /** When the TLS handshake ended; `tcpEndMs` on plain TCP. */
  endMs: number;
  /** The protocol the server chose by ALPN; `null` on plain TCP or when it chose none. */
  alpnProtocol: string | null;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Rejects with the signal's reason when it aborts first (at once if it
 * already has); else settles as `promise`.
 */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort: (() => void) | null = null;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  });
}

/**
 * Opens a connection to `target` with TCP_NODELAY, offering `alpn` over TLS;
 * one clock reading at each end of the TCP connect and of the handshake.
 * `startTls` and the handshake take no signal, so they are raced against
 * `signal`; on failure the connection (TCP or TLS) is closed.
 *
 * @throws whatever `Deno.connect`, `Deno.startTls` or the handshake throws,
 * or the signal's reason when it aborts first.
 *
 * @example
 * ```ts ignore
 * import { openConn } from "./_open_conn.ts";
 * const target = { key: "http://127.0.0.1:8080", hostname: "127.0.0.1", port: 8080, tls: false };
 * const o = await openConn(target, "http/1.1", {}, AbortSignal.timeout(5_000));
 * o.tcpEndMs - o.startMs; // the TCP connect, ms
 * ```
 */
export async function openConn(
  target: Target,
  alpn: string,
  tlsOptions: { caCerts?: string[] },
  signal: AbortSignal,
): Promise<OpenedConn> {
  const startMs = now();
  const tcp = await Deno.connect({ hostname: target.hostname, port: target.port, signal });
  const tcpEndMs = now();
  tcp.setNoDelay(true);
  if (!target.tls) return { conn: tcp, startMs, tcpEndMs, endMs: tcpEndMs, alpnProtocol: null };
  const pending = Deno.startTls(tcp, {
    hostname: target.hostname,
    alpnProtocols: [alpn],
    ...tlsOptions,
  });
  try {
    const tls = await raceAbort(pending, signal);
    const { alpnProtocol } = await raceAbort(tls.handshake(), signal);
    return { conn: tls, startMs, tcpEndMs, endMs: now(), alpnProtocol };
  } catch (err) {
    pending.then(closeQuietly, () => closeQuietly(tcp));
    throw err;
  }
}
