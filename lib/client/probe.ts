/**
 * The protocol probe: which HTTP version does this server offer? Decided
 * once, before a run, on connections of its own that send no HTTP request
 * and are never counted in the results.
 *
 * - `https://`: a TLS handshake offering `h2` and `http/1.1` by ALPN; the
 *   server's choice is the answer.
 * - `http://`: the HTTP/2 connection preface (prior knowledge, "h2c"); a
 *   SETTINGS frame back means HTTP/2, anything else (an HTTP/1.x error
 *   reply, a close, silence for the probe timeout) means HTTP/1.1.
 *
 * When the answer is HTTP/2, a second connection checks whether the server
 * also speaks HTTP/1.1 (ALPN offering only `http/1.1`, or over cleartext a
 * malformed request line that an HTTP/1.1 server answers with 400 before any
 * handler sees it), so an HTTP/1.1-only client can be steered away from an
 * HTTP/2-only server.
 *
 * A probe that cannot connect (refused, DNS, TLS) does not fail: it says so
 * and assumes HTTP/1.1, and the run then records the real failures.
 *
 * @module
 */
import type { ErrorKind } from "../record.ts";
import { classifyError } from "./_classify_error.ts";
import {
  h2cPreface,
  h2Goaway,
  isH2Settings,
  isHttp1Status,
  type Recognition,
} from "./_probe_frames.ts";

/** The protocols the probe can find. */
export type ProbedProtocol = "h2" | "http/1.1";

/** What the probe found. */
export interface ProbeResult {
  /** The best protocol the server offers. */
  protocol: ProbedProtocol;
  /** How it was decided. */
  via: "alpn" | "prior-knowledge" | "unreachable";
  /** Whether the server speaks HTTP/1.1 as well; `null` when not known. */
  http1: boolean | null;
  /** Why the probe could not connect, else `null`. */
  unreachable: ErrorKind | null;
  /** One line in words: what was found and why. */
  reason: string;
}

/** Probe settings. */
export interface ProbeOptions {
  /** Most time for each connect, handshake and reply, in ms (default 1000). */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for `https://`. */
  caCerts?: string[];
}

interface Target {
  hostname: string;
  port: number;
  tls: boolean;
}

function targetOf(url: string): Target {
  const u = new URL(url);
  const tls = u.protocol === "https:";
  if (!tls && u.protocol !== "http:") {
    throw new TypeError(`Cannot probe "${u.protocol}" URLs: use http:// or https://`);
  }
  let hostname = u.hostname;
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  return { hostname, port: u.port === "" ? (tls ? 443 : 80) : Number(u.port), tls };
}

function isPermissionError(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied;
}

/** Races `p` against a timer; a late winner is handed to `onLate` (to close it). */
async function within<T>(p: Promise<T>, ms: number, onLate?: (value: T) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Deno.errors.TimedOut(`Probe timed out after ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } catch (err) {
    if (onLate) p.then(onLate, () => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads until `recognize` decides, the peer closes, or `ms` pass. */
async function readReply(
  conn: Deno.Conn,
  ms: number,
  recognize: (b: Uint8Array) => Recognition,
): Promise<{ answer: Recognition; closed: boolean; bytes: number }> {
  const buf = new Uint8Array(64);
  let filled = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }, ms);
  try {
    while (filled < buf.length) {
      let n: number | null;
      try {
        n = await conn.read(buf.subarray(filled));
      } catch (err) {
        if (isPermissionError(err)) throw err;
        n = null;
      }
      if (n === null) return { answer: "no", closed: !timedOut, bytes: filled };
      filled += n;
      const answer = recognize(buf.subarray(0, filled));
      if (answer !== "more") return { answer, closed: false, bytes: filled };
    }
    return { answer: recognize(buf), closed: false, bytes: filled };
  } finally {
    clearTimeout(timer);
  }
}

function safeClose(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed (e.g. by the read timer)
  }
}

async function connectPlain(t: Target, ms: number): Promise<Deno.Conn> {
  return await within(Deno.connect({ hostname: t.hostname, port: t.port }), ms, safeClose);
}

async function handshake(
  t: Target,
  alpn: string[],
  options: ProbeOptions,
  ms: number,
): Promise<string | null> {
  const conn = await within(
    Deno.connectTls({
      hostname: t.hostname,
      port: t.port,
      alpnProtocols: alpn,
      ...(options.caCerts?.length ? { caCerts: options.caCerts } : {}),
    }),
    ms,
    safeClose,
  );
  try {
    return (await within(conn.handshake(), ms)).alpnProtocol;
  } finally {
    safeClose(conn);
  }
}

function unreachable(err: unknown): ProbeResult {
  if (isPermissionError(err)) throw err;
  let kind: ErrorKind;
  try {
    kind = classifyError(err);
  } catch {
    kind = "other";
  }
  return {
    protocol: "http/1.1",
    via: "unreachable",
    http1: null,
    unreachable: kind,
    reason: `the probe could not connect (${kind}), so HTTP/1.1 is assumed`,
  };
}

async function probeTls(t: Target, options: ProbeOptions, ms: number): Promise<ProbeResult> {
  let chosen: string | null;
  try {
    chosen = await handshake(t, ["h2", "http/1.1"], options, ms);
  } catch (err) {
    return unreachable(err);
  }
  if (chosen !== "h2") {
    return {
      protocol: "http/1.1",
      via: "alpn",
      http1: true,
      unreachable: null,
      reason: chosen === null
        ? "offered h2 and http/1.1 by ALPN; the server chose neither, which means HTTP/1.1"
        : `offered h2 and http/1.1 by ALPN; the server chose ${chosen}`,
    };
  }
  let http1: boolean;
  try {
    const only = await handshake(t, ["http/1.1"], options, ms);
    http1 = only === "http/1.1" || only === null;
  } catch (err) {
    if (isPermissionError(err)) throw err;
    http1 = false;
  }
  return {
    protocol: "h2",
    via: "alpn",
    http1,
    unreachable: null,
    reason: `offered h2 and http/1.1 by ALPN; the server chose h2${
      http1 ? "" : " (and refused http/1.1 alone)"
    }`,
  };
}

async function speaksHttp1(t: Target, ms: number): Promise<boolean> {
  let conn: Deno.Conn;
  try {
    conn = await connectPlain(t, ms);
  } catch (err) {
    if (isPermissionError(err)) throw err;
    return false;
  }
  try {
    // A request line no server accepts ("(" is not allowed in a method): an
    // HTTP/1.1 server answers with an HTTP/1.x 400 before any handler runs,
    // an HTTP/2-only server with a frame or a close.
    await conn.write(new TextEncoder().encode("(probe) * HTTP/1.1\r\n\r\n"));
    return (await readReply(conn, ms, isHttp1Status)).answer === "yes";
  } catch (err) {
    if (isPermissionError(err)) throw err;
    return false;
  } finally {
    safeClose(conn);
  }
}

async function probePlain(t: Target, ms: number): Promise<ProbeResult> {
  let conn: Deno.Conn;
  try {
    conn = await connectPlain(t, ms);
  } catch (err) {
    return unreachable(err);
  }
  let reply: Awaited<ReturnType<typeof readReply>>;
  try {
    await conn.write(h2cPreface());
    reply = await readReply(conn, ms, isH2Settings);
    if (reply.answer === "yes") await conn.write(h2Goaway()).catch(() => 0);
  } catch (err) {
    if (isPermissionError(err)) throw err;
    reply = { answer: "no", closed: true, bytes: 0 };
  } finally {
    safeClose(conn);
  }
  if (reply.answer === "yes") {
    const http1 = await speaksHttp1(t, ms);
    return {
      protocol: "h2",
      via: "prior-knowledge",
      http1,
      unreachable: null,
      reason: `the server answered the HTTP/2 prior-knowledge preface with SETTINGS (h2c)${
        http1 ? "" : "; it does not answer HTTP/1.1"
      }`,
    };
  }
  const why = reply.bytes > 0
    ? "it replied in HTTP/1.x"
    : reply.closed
    ? "it closed the connection"
    : `no reply within ${ms} ms`;
  return {
    protocol: "http/1.1",
    via: "prior-knowledge",
    http1: reply.bytes > 0 ? true : null,
    unreachable: null,
    reason: `the server does not speak HTTP/2 with prior knowledge (${why})`,
  };
}

/**
 * Finds the best protocol `url`'s server offers, without sending an HTTP
 * request. Never rejects for a network failure (see {@linkcode ProbeResult}
 * `unreachable`); rejects with `Deno.errors.NotCapable` when the network
 * permission for the host is missing, and with a `TypeError` for a URL that
 * is not http(s).
 *
 * @example
 * ```ts ignore
 * import { probeProtocol } from "./probe.ts";
 * const found = await probeProtocol("https://api.example.com/v1/x");
 * console.log(`${found.protocol}: ${found.reason}`);
 * ```
 */
export async function probeProtocol(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const t = targetOf(url);
  const ms = options.timeoutMs ?? 1000;
  return t.tls ? await probeTls(t, options, ms) : await probePlain(t, ms);
}
