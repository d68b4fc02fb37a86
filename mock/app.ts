/**
 * The mock remote inference API as a Hono app, with no socket of its own
 * (see `server.ts` for that). One configuration serves every client alike.
 *
 * Routes:
 * - `POST /api` — JSON like `{"id":1,"prompt":"…","max_tokens":64}`, answers
 *   `{"id":1,"model":"tailgate-mock","output":"…","tokens":64}` after the
 *   modelled latency: connection setup (new connections only) + one round
 *   trip + lognormal service time (+ the slow path for a few requests).
 * - `GET /api?id=1&max_tokens=16` — the same, without a body.
 * - `GET /health` — `{"ok":true}` at once.
 * - `GET /stats` — what the server saw in this run (`?reset=1` also starts a new run).
 * - `POST /stats/reset` — starts a new run and returns the finished run's stats.
 * - `GET`/`POST /admin/faults` — reads or changes the fault schedule (JSON of
 *   rates, e.g. `{"resetRate":0.1}`, sent as `application/json`).
 *
 * Resetting and `/admin` are off when the server is public, and refuse
 * (403) a request from a web page of another origin (`Origin` not this
 * server, or `Sec-Fetch-Site: cross-site`), so a page open in a local
 * browser cannot change the mock.
 *
 * Faults (each a rate, at most one per request, drawn from the seeded
 * stream): 500 after the service time, 503 and 429 at once, reset, cut,
 * stall, slow body, malformed (see `_faults.ts` for what reaches the wire).
 * Malformed JSON gets 400, a body over `maxBodyBytes` 413, unknown routes
 * 404, and a handler error 500: the app never throws to its server.
 *
 * Determinism: request number k of a run (in arrival order) draws its
 * latency from a stream seeded by (seed, k), and a new run restarts k at 0,
 * so every run with the same seed sees the same sequence of service times
 * whatever the client does.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { createRng, deriveSeed } from "../lib/rng.ts";
import { type ConnectionStats, ConnectionTracker, type HttpVersion } from "./_connections.ts";
import {
  cutResponse,
  drawFault,
  type FaultKind,
  malformedResponse,
  resetResponse,
  slowBodyResponse,
  wireFaults,
} from "./_faults.ts";
import { drawService } from "./_latency.ts";
import {
  FAULT_RATE_KEYS,
  type MockConfig,
  type MockOptions,
  resolveMockConfig,
} from "./_options.ts";
import { abortableSleep } from "../lib/clock.ts";
import {
  hashRequest,
  type RequestCounts,
  type RequestDigest,
  RunCounters,
  type StallEnds,
} from "./_stats.ts";

export {
  DEFAULT_MOCK_CONFIG,
  DEFAULT_MOCK_OPTIONS,
  MOCK_FLAGS,
  type MockConfig,
  mockConfigFromFlags,
  type MockFlag,
  type MockFlagKind,
  type MockOptions,
  validateMockConfig,
} from "./_options.ts";
export { InjectedFault, type WireFault, wireFaults } from "./_faults.ts";
export type { ConnectionStats, FaultKind, HttpVersion, RequestCounts, RequestDigest, StallEnds };

/** The fault schedule: every rate plus the fault parameters (`GET /admin/faults`). */
export type FaultSettings = Pick<
  MockConfig,
  typeof FAULT_RATE_KEYS[number] | "retryAfterS" | "stallMaxMs" | "slowBodyMs"
>;

const FAULT_SETTING_KEYS: readonly (keyof FaultSettings)[] = [
  ...FAULT_RATE_KEYS,
  "retryAfterS",
  "stallMaxMs",
  "slowBodyMs",
];

/** What the server passes to `app.fetch` as env: the request's connection and its peer. */
export interface MockBindings {
  remoteAddr?: Deno.Addr;
  /** One object per connection (made when it was accepted): what connection stats count. */
  connection?: object;
  /**
   * The server held this connection's setup before its TLS handshake
   * (`--setup-at-handshake`), so its first request waits no more for it.
   */
  setupHeld?: boolean;
}

/** The Hono env type of the mock app. */
export type MockEnv = { Bindings: MockBindings };

/** The `/stats` document. */
export interface MockStats {
  /** Run number; `POST /stats/reset` starts the next. */
  run: number;
  /** The active configuration. */
  config: MockConfig;
  /**
   * Where a new connection's setup (`setupRtts × rttMs`) is spent:
   * `first_request` (it delays the connection's first response) or
   * `handshake` (the server holds it before the TLS handshake, so a client
   * sees it in its TLS time). Charged once per opened connection either way.
   */
  setup_at: "first_request" | "handshake";
  requests: RequestCounts;
  connections: ConnectionStats;
  /** Requests by detected HTTP version (see `_connections.ts` for how and its limits). */
  http_versions: Record<HttpVersion, number>;
  /** Order-independent digest of the `/api` requests received. */
  digest: RequestDigest;
  /** Faults injected, by kind (a request gets at most one). */
  faults: Record<FaultKind, number>;
  /** How injected stalls ended. */
  stalls: StallEnds;
}

/** The mock app and its controls. */
export interface MockApp {
  /** The Hono app; serve it with `app.fetch(request, { remoteAddr, connection })`. */
  app: Hono<MockEnv>;
  /** The active configuration (fault settings change with {@linkcode MockApp.setFaults}). */
  readonly config: Readonly<MockConfig>;
  /** The current run's stats (same as `GET /stats`). */
  stats(): MockStats;
  /** Starts a new run and returns the stats of the one that ended. */
  reset(): MockStats;
  /**
   * Changes the fault schedule from the next request on (same as `POST /admin/faults`).
   *
   * @throws {RangeError} when a value is out of range or the rates add up to more than 1.
   * @throws {TypeError} when `malformedRate` > 0 on the `Deno.serve` transport.
   */
  setFaults(update: Partial<FaultSettings>): FaultSettings;
}

const MAX_TOKENS = 4096;
const DEFAULT_TOKENS = 64;
const WORDS = [
  "the",
  "model",
  "answers",
  "with",
  "plausible",
  "tokens",
  "of",
  "varying",
  "length",
  "and",
  "latency",
  "tail",
];

function peerKey(env: MockBindings | undefined): object | null {
  return env?.connection ?? null;
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await req.body?.cancel().catch(() => {});
    return null;
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Bounded: stops at the end of the body or past `limit` bytes.
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.byteLength;
  }
  return out;
}

interface ApiInput {
  id: unknown;
  tokens: number;
}

function parseTokens(raw: unknown): number | string {
  if (raw === undefined || raw === null) return DEFAULT_TOKENS;
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_TOKENS) {
    return `max_tokens must be an integer within 1 and ${MAX_TOKENS}`;
  }
  return n;
}

function parseInput(method: string, url: URL, body: Uint8Array): ApiInput | string {
  if (method === "GET") {
    const tokens = parseTokens(url.searchParams.get("max_tokens") ?? undefined);
    if (typeof tokens === "string") return tokens;
    return { id: url.searchParams.get("id"), tokens };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    return `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return "body must be a JSON object";
  }
  const obj = json as Record<string, unknown>;
  if (obj.prompt !== undefined && typeof obj.prompt !== "string") return "prompt must be a string";
  const tokens = parseTokens(obj.max_tokens);
  if (typeof tokens === "string") return tokens;
  return { id: obj.id ?? null, tokens };
}

function makeOutput(seed: number, tokens: number): string {
  const rng = createRng(seed);
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) words.push(WORDS[Math.floor(rng.next() * WORDS.length)] ?? "");
  return words.join(" ");
}

const ms = (n: number): string => n.toFixed(1);
const encoder = new TextEncoder();

function checkTransport(config: MockConfig, transport: MockOptions["transport"]): void {
  if (transport === "deno" && config.malformedRate > 0) {
    throw new TypeError(
      "Cannot inject malformed responses with Deno.serve: use the raw HTTP/1.1 transport (--raw)",
    );
  }
}

function faultSettings(config: MockConfig): FaultSettings {
  return Object.fromEntries(FAULT_SETTING_KEYS.map((k) => [k, config[k]])) as FaultSettings;
}

function parseFaultUpdate(raw: Uint8Array): Partial<FaultSettings> | string {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(raw));
  } catch (err) {
    return `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return "body must be a JSON object of fault settings";
  }
  const update: Partial<FaultSettings> = {};
  for (const [k, v] of Object.entries(json)) {
    if (!(FAULT_SETTING_KEYS as readonly string[]).includes(k)) {
      return `unknown fault setting "${k}": use ${FAULT_SETTING_KEYS.join(", ")}`;
    }
    if (typeof v !== "number") return `${k} must be a number`;
    update[k as keyof FaultSettings] = v;
  }
  return update;
}

/**
 * Why a control request must be refused: it comes from a web page of another
 * origin (its `Origin` is not this server, or the browser marks it
 * cross-site). `null` for same-origin and non-browser callers.
 */
function foreignCaller(req: Request): string | null {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `a ${site} request from a web page`;
  }
  const origin = req.headers.get("origin");
  if (origin === null) return null;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch { /* "null" or garbage: foreign */ }
  return host === new URL(req.url).host ? null : `a request from another origin (${origin})`;
}

/**
 * Creates the mock app. Every option defaults to {@linkcode DEFAULT_MOCK_CONFIG}.
 *
 * @throws {RangeError} when an option is out of range.
 *
 * @example
 * ```ts
 * import { createMockApp } from "./app.ts";
 * const mock = createMockApp({ seed: 7, sleep: () => Promise.resolve() });
 * const res = await mock.app.request("/api", { method: "POST", body: '{"id":1}' });
 * res.status; // 200
 * ```
 */
export function createMockApp(options: MockOptions = {}): MockApp {
  let config: Readonly<MockConfig> = Object.freeze(resolveMockConfig(options));
  const transport = options.transport;
  checkTransport(config, transport);
  const admin = options.admin ?? true;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? (() => performance.now());
  const serverSignal = options.signal;
  const tracker = new ConnectionTracker();
  let run = 0;
  let seq = 0;
  let counters = new RunCounters();

  const stats = (): MockStats => {
    const connections = tracker.snapshot();
    return {
      run,
      config: { ...config },
      setup_at: options.setupAtHandshake === true ? "handshake" : "first_request",
      requests: counters.requests(),
      connections,
      http_versions: { ...connections.requests_by_http_version },
      digest: counters.digest(),
      faults: counters.faults(),
      stalls: counters.stalls(),
    };
  };
  const reset = (): MockStats => {
    const ended = stats();
    run++;
    seq = 0;
    counters = new RunCounters();
    tracker.reset();
    return ended;
  };
  const setFaults = (update: Partial<FaultSettings>): FaultSettings => {
    const next = resolveMockConfig({ ...config, ...update });
    checkTransport(next, transport);
    config = Object.freeze(next);
    return faultSettings(config);
  };

  const app = new Hono<MockEnv>();

  // Counts every non-control request and its status, into the run it arrived in.
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (path === "/stats" || path.startsWith("/stats/") || path.startsWith("/admin/")) {
      return await next();
    }
    const own = counters;
    const route = path === "/api" || path === "/health" ? `${c.req.method} ${path}` : "other";
    own.countRoute(route);
    await next();
    // Socket-level faults have no status the client could see; they are counted in `faults`.
    if (!wireFaults.has(c.res)) own.countStatus(c.res.status);
  });

  const api = async (c: Context<MockEnv>): Promise<Response> => {
    const k = seq++;
    const own = counters;
    const cfg = config; // a fault schedule changed mid-request applies from the next one
    const req = c.req.raw;
    // Reading req.signal makes Deno.serve warn about its legacy abort behaviour, so only a stall
    // (which would outlast its client) watches it; the other waits are bounded by the model, and a
    // slow body ends when the client cancels the stream.
    const clientSignal = (): AbortSignal =>
      serverSignal ? AbortSignal.any([req.signal, serverSignal]) : req.signal;
    const conn = tracker.enter(
      peerKey(c.env),
      now(),
      cfg.setupRtts * cfg.rttMs,
      req.headers.has("host"),
      c.env?.setupHeld === true,
    );
    try {
      const network = conn.setupWaitMs + cfg.rttMs;
      const body = req.method === "POST"
        ? await readLimited(req, cfg.maxBodyBytes)
        : new Uint8Array(0);
      if (body === null) {
        await sleep(network, serverSignal);
        return c.json({ error: `Request body too large: limit is ${cfg.maxBodyBytes} bytes` }, 413);
      }
      const url = new URL(req.url);
      own.addDigest(
        await hashRequest(req.method, url.pathname + url.search, body),
        body.byteLength,
      );
      const input = parseInput(req.method, url, body);
      if (typeof input === "string") {
        await sleep(network, serverSignal);
        return c.json({ error: `Bad request: ${input}` }, 400);
      }
      const draw = drawService(createRng(deriveSeed(cfg.seed, k, 0)), cfg);
      const faultRng = createRng(deriveSeed(cfg.seed, k, 1));
      const fault = drawFault(faultRng.next(), cfg);
      const variant = Math.floor(faultRng.next() * 1024);
      if (fault !== null) own.countFault(fault);

      if (fault === "unavailable" || fault === "throttle") {
        // An overloaded front end answers at once, without doing the work.
        await sleep(network, serverSignal);
        if (fault === "throttle") {
          c.header("Retry-After", String(cfg.retryAfterS));
          return c.json({ error: "Too many requests: injected fault" }, 429);
        }
        return c.json({ error: "Service unavailable: injected fault" }, 503);
      }
      if (fault === "stall") {
        const signal = clientSignal();
        await sleep(cfg.stallMaxMs, signal);
        own.countStallEnd(
          req.signal.aborted ? "client_gone" : serverSignal?.aborted ? "server_closed" : "capped",
        );
        return c.json({ error: "Gateway timeout: injected stall" }, 504);
      }

      await sleep(network + draw.serviceMs + draw.slowMs, serverSignal);
      if (fault === "error") return c.json({ error: "Internal server error: injected fault" }, 500);
      if (fault === "reset") return resetResponse();
      if (fault === "malformed") return malformedResponse(variant);
      const timing = `setup;dur=${ms(conn.setupWaitMs)}, rtt;dur=${ms(cfg.rttMs)}, service;dur=${
        ms(draw.serviceMs)
      }, slow;dur=${ms(draw.slowMs)}`;
      const payload = {
        id: input.id ?? k,
        model: "tailgate-mock",
        output: makeOutput(deriveSeed(cfg.seed, k, 2), input.tokens),
        tokens: input.tokens,
      };
      if (fault === "cut" || fault === "slow_body") {
        const bytes = encoder.encode(JSON.stringify(payload));
        const headers = { "content-type": "application/json", "server-timing": timing };
        return fault === "cut"
          ? cutResponse(bytes, headers)
          : slowBodyResponse(bytes, headers, cfg.slowBodyMs, sleep, serverSignal); // cancel() ends it
      }
      c.header("Server-Timing", timing);
      return c.json(payload);
    } finally {
      tracker.leave(conn.key);
    }
  };

  app.post("/api", api);
  app.get("/api", api);
  app.get("/health", (c) => c.json({ ok: true }));
  // Controls that change state answer only same-origin callers: a web page open in a local
  // browser must not reset the stats or change the faults (CSRF).
  app.use("/admin/*", async (c, next) => {
    const why = foreignCaller(c.req.raw);
    if (why !== null) return c.json({ error: `Forbidden: ${why}` }, 403);
    await next();
  });
  app.get("/stats", (c) => {
    const reset1 = c.req.query("reset");
    if (reset1 !== "1" && reset1 !== "true") return c.json(stats());
    const why = admin ? foreignCaller(c.req.raw) : "resetting the stats is off on a public mock";
    if (why !== null) return c.json({ error: `Forbidden: ${why}` }, 403);
    return c.json(reset());
  });
  if (admin) {
    app.post("/stats/reset", (c) => {
      const why = foreignCaller(c.req.raw);
      if (why !== null) return c.json({ error: `Forbidden: ${why}` }, 403);
      return c.json(reset());
    });
    app.get("/admin/faults", (c) => c.json(faultSettings(config)));
    app.post("/admin/faults", async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/json") {
        await c.req.raw.body?.cancel().catch(() => {});
        return c.json({
          error: `Unsupported media type: send the fault settings as application/json, got "${
            type || "none"
          }"`,
        }, 415);
      }
      const raw = await readLimited(c.req.raw, 64 * 1024);
      if (raw === null) {
        return c.json({ error: "Request body too large: limit is 65536 bytes" }, 413);
      }
      const update = parseFaultUpdate(raw);
      if (typeof update === "string") return c.json({ error: `Bad request: ${update}` }, 400);
      try {
        return c.json(setFaults(update));
      } catch (err) {
        if (err instanceof RangeError || err instanceof TypeError) {
          return c.json({ error: `Bad request: ${err.message}` }, 400);
        }
        throw err;
      }
    });
  }
  app.notFound((c) => c.json({ error: `Not found: ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) =>
    c.json({ error: `Internal error: ${err instanceof Error ? err.message : String(err)}` }, 500)
  );

  return {
    app,
    get config() {
      return config;
    },
    stats,
    reset,
    setFaults,
  };
}
