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
import { drawService } from "./_latency.ts";
import { type MockConfig, type MockOptions, resolveMockConfig } from "./_options.ts";
import { abortableSleep } from "./_sleep.ts";
import { hashRequest, type RequestCounts, type RequestDigest, RunCounters } from "./_stats.ts";

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
export type { ConnectionStats, HttpVersion, RequestCounts, RequestDigest };

/** What the server passes to `app.fetch` as env: the peer of the request's connection. */
export interface MockBindings {
  remoteAddr?: Deno.Addr;
}

/** The Hono env type of the mock app. */
export type MockEnv = { Bindings: MockBindings };

/** The `/stats` document. */
export interface MockStats {
  /** Run number; `POST /stats/reset` starts the next. */
  run: number;
  /** The active configuration. */
  config: MockConfig;
  requests: RequestCounts;
  connections: ConnectionStats;
  /** Requests by detected HTTP version (see `_connections.ts` for how and its limits). */
  http_versions: Record<HttpVersion, number>;
  /** Order-independent digest of the `/api` requests received. */
  digest: RequestDigest;
}

/** The mock app and its controls. */
export interface MockApp {
  /** The Hono app; serve it with `app.fetch(request, { remoteAddr })`. */
  app: Hono<MockEnv>;
  /** The active configuration. */
  readonly config: Readonly<MockConfig>;
  /** The current run's stats (same as `GET /stats`). */
  stats(): MockStats;
  /** Starts a new run and returns the stats of the one that ended. */
  reset(): MockStats;
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

function peerKey(env: MockBindings | undefined): string | null {
  const addr = env?.remoteAddr;
  if (!addr || (addr.transport !== "tcp" && addr.transport !== "udp")) return null;
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
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
  const config = Object.freeze(resolveMockConfig(options));
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? (() => performance.now());
  const tracker = new ConnectionTracker();
  let run = 0;
  let seq = 0;
  let counters = new RunCounters();

  const stats = (): MockStats => {
    const connections = tracker.snapshot();
    return {
      run,
      config: { ...config },
      requests: counters.requests(),
      connections,
      http_versions: { ...connections.requests_by_http_version },
      digest: counters.digest(),
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
    own.countStatus(c.res.status);
  });

  const api = async (c: Context<MockEnv>): Promise<Response> => {
    const k = seq++;
    const own = counters;
    const req = c.req.raw;
    const signal = options.signal ? AbortSignal.any([req.signal, options.signal]) : req.signal;
    const conn = tracker.enter(
      peerKey(c.env),
      now(),
      config.setupRtts * config.rttMs,
      req.headers.has("host"),
    );
    try {
      const network = conn.setupWaitMs + config.rttMs;
      const body = req.method === "POST"
        ? await readLimited(req, config.maxBodyBytes)
        : new Uint8Array(0);
      if (body === null) {
        await sleep(network, signal);
        return c.json(
          { error: `Request body too large: limit is ${config.maxBodyBytes} bytes` },
          413,
        );
      }
      const url = new URL(req.url);
      own.addDigest(
        await hashRequest(req.method, url.pathname + url.search, body),
        body.byteLength,
      );
      const input = parseInput(req.method, url, body);
      if (typeof input === "string") {
        await sleep(network, signal);
        return c.json({ error: `Bad request: ${input}` }, 400);
      }
      const draw = drawService(createRng(deriveSeed(config.seed, k, 0)), config);
      await sleep(network + draw.serviceMs + draw.slowMs, signal);
      c.header(
        "Server-Timing",
        `setup;dur=${ms(conn.setupWaitMs)}, rtt;dur=${ms(config.rttMs)}, service;dur=${
          ms(draw.serviceMs)
        }, slow;dur=${ms(draw.slowMs)}`,
      );
      return c.json({
        id: input.id ?? k,
        model: "tailgate-mock",
        output: makeOutput(deriveSeed(config.seed, k, 2), input.tokens),
        tokens: input.tokens,
      });
    } finally {
      tracker.leave(conn.key);
    }
  };

  app.post("/api", api);
  app.get("/api", api);
  app.get("/health", (c) => c.json({ ok: true }));
  app.get("/stats", (c) => {
    const reset1 = c.req.query("reset");
    return c.json(reset1 === "1" || reset1 === "true" ? reset() : stats());
  });
  app.post("/stats/reset", (c) => c.json(reset()));
  app.notFound((c) => c.json({ error: `Not found: ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) =>
    c.json({ error: `Internal error: ${err instanceof Error ? err.message : String(err)}` }, 500)
  );

  return {
    app,
    config,
    stats,
    reset,
  };
}
