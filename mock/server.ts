/**
 * Serves the mock app on a real socket. Two transports, one app:
 * - Deno's HTTP server (default, `_serve_conns.ts`): HTTP/1.1 and h2c
 *   (prior knowledge) on plain TCP, ALPN `h2`/`http/1.1` with TLS, served
 *   per accepted connection so each request knows its connection. Cannot
 *   write malformed HTTP, and on HTTP/1.1 a "reset" fault arrives after the
 *   response headers.
 * - raw HTTP/1.1 (`raw: true`): a small server over `Deno.listen` that owns
 *   the socket, so resets happen before any byte and malformed responses
 *   are possible. Plain HTTP/1.1 only.
 *
 * @module
 */
import { createMockApp, InjectedFault, type MockApp, type MockOptions } from "./app.ts";
import { serveRawHttp1 } from "./_raw_http1.ts";
import { serveConnections } from "./_serve_conns.ts";

/** Options of {@linkcode serveMock}: the mock's options plus where to listen. */
export interface ServeMockOptions extends MockOptions {
  /** Interface to bind; `127.0.0.1` by default. Non-loopback needs `public: true`. */
  hostname?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** PEM certificate chain; with `key`, serves HTTPS. */
  cert?: string;
  /** PEM private key for `cert`. */
  key?: string;
  /** Allow binding a non-loopback interface (also turns `/admin` off). */
  public?: boolean;
  /** Use the raw HTTP/1.1 transport (needed for malformed responses and true resets). */
  raw?: boolean;
  /**
   * Spend each new connection's setup before its TLS handshake instead of in
   * its first response (`_handshake_hold.ts`); needs `cert` and `key`.
   */
  setupAtHandshake?: boolean;
}

/** A running mock server. */
export interface MockServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  port: number;
  hostname: string;
  /** The app behind the socket (stats, reset, config). */
  app: MockApp;
  /** Ends pending waits and stops the server. */
  close(): Promise<void>;
}

/**
 * Whether a hostname is a loopback interface (`localhost`, 127.0.0.0/8, `::1`).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./server.ts";
 * isLoopback("127.0.0.1"); // true
 * isLoopback("0.0.0.0"); // false
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Starts the mock on a socket.
 *
 * @throws {TypeError} for a non-loopback hostname without `public: true`,
 * when only one of `cert` and `key` is given, for TLS with `raw`, or for
 * `malformedRate` > 0 without `raw`.
 * @throws {RangeError} when a mock option is out of range.
 *
 * @example
 * ```ts ignore
 * import { serveMock } from "./server.ts";
 * const server = serveMock({ port: 0, seed: 1 });
 * const res = await fetch(`${server.url}/health`);
 * await res.body?.cancel();
 * await server.close();
 * ```
 */
export function serveMock(options: ServeMockOptions = {}): MockServer {
  const hostname = options.hostname ?? "127.0.0.1";
  if (!isLoopback(hostname) && options.public !== true) {
    throw new TypeError(
      `Refusing to bind non-loopback interface "${hostname}": pass --public to expose the mock`,
    );
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError("Cannot serve HTTPS: pass both cert and key (PEM), or neither");
  }
  if (options.raw && options.cert !== undefined) {
    throw new TypeError("Cannot serve HTTPS on the raw transport: it speaks plain HTTP/1.1 only");
  }
  if (options.setupAtHandshake && (options.cert === undefined || options.raw)) {
    throw new TypeError(
      "Cannot hold setup at the handshake without TLS: pass --cert and --key (over plain TCP the kernel completes the connect before the mock sees it)",
    );
  }
  const closing = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, closing.signal])
    : closing.signal;
  const mock = createMockApp({
    ...options,
    signal,
    transport: options.raw ? "raw" : "deno",
    admin: options.public !== true,
  });
  const bind = hostname.replace(/^\[|\]$/g, "");
  const host = bind.includes(":") ? `[${bind}]` : bind;
  const make = (port: number, scheme: string, stop: () => Promise<void>): MockServer => {
    let closed: Promise<void> | null = null;
    return {
      url: `${scheme}://${host}:${port}`,
      port,
      hostname: bind,
      app: mock,
      close(): Promise<void> {
        closed ??= (async () => {
          closing.abort();
          await stop();
        })();
        return closed;
      },
    };
  };

  if (options.raw) {
    const raw = serveRawHttp1(
      { hostname: bind, port: options.port ?? 0, maxBodyBytes: mock.config.maxBodyBytes },
      async (req, remoteAddr, connection) => await mock.app.fetch(req, { remoteAddr, connection }),
    );
    return make(raw.addr.port, "http", () => raw.close());
  }

  const server = serveConnections({
    hostname: bind,
    port: options.port ?? 0,
    ...(options.cert !== undefined && options.key !== undefined
      ? { cert: options.cert, key: options.key }
      : {}),
    ...(options.setupAtHandshake ? { holdSetupMs: mock.config.setupRtts * mock.config.rttMs } : {}),
    // Injected faults fail body streams on purpose; anything else is a real bug worth a line.
    onError: (err: unknown) => {
      if (!(err instanceof InjectedFault)) console.error(`tailgate mock: ${String(err)}`);
      return new Response("Internal Server Error", { status: 500 });
    },
  }, (req, info) => mock.app.fetch(req, info));
  return make(
    server.addr.port,
    options.cert !== undefined ? "https" : "http",
    () => server.shutdown(),
  );
}
