import assert from "node:assert/strict";
import { createRng } from "../../lib/rng.ts";
import {
  createMockApp,
  DEFAULT_MOCK_CONFIG,
  MOCK_FLAGS,
  mockConfigFromFlags,
  type MockStats,
} from "../../mock/app.ts";
import { drawService } from "../../mock/_latency.ts";

const noSleep = () => Promise.resolve();

function recordingApp(options: Parameters<typeof createMockApp>[0] = {}) {
  const waits: number[] = [];
  const mock = createMockApp({
    ...options,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  return { mock, waits };
}

/** One object per fake connection, as the servers make one per accepted connection. */
const connections = new Map<number, object>();
function connectionEnv(port: number) {
  if (!connections.has(port)) connections.set(port, {});
  return {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port },
    connection: connections.get(port),
  };
}

function post(body: string, port?: number): [string, RequestInit, object | undefined] {
  const env = port === undefined ? undefined : connectionEnv(port);
  return ["http://mock/api", { method: "POST", body, headers: { host: "mock" } }, env];
}

function timing(res: Response): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (res.headers.get("server-timing") ?? "").split(",")) {
    const m = /^\s*(\w+);dur=([\d.]+)/.exec(part);
    if (m?.[1] && m[2]) out[m[1]] = Number(m[2]);
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

Deno.test("createMockApp() answers POST /api with the requested number of tokens", async () => {
  const { app } = createMockApp({ sleep: noSleep });
  const res = await app.request(...post('{"id":7,"prompt":"hi","max_tokens":5}'));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const body = await res.json();
  assert.equal(body.id, 7);
  assert.equal(body.tokens, 5);
  assert.equal(body.output.split(" ").length, 5);
});

Deno.test("createMockApp() answers GET /api, GET /health and 404 for unknown routes", async () => {
  const { app } = createMockApp({ sleep: noSleep });
  const get = await app.request("/api?id=3&max_tokens=2");
  assert.equal(get.status, 200);
  const body = await get.json();
  assert.equal(body.id, "3");
  assert.equal(body.tokens, 2);
  const health = await app.request("/health");
  assert.deepEqual(await health.json(), { ok: true });
  const missing = await app.request("/nope");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /^Not found: GET \/nope/);
  const wrongMethod = await app.request("/api", { method: "DELETE" });
  assert.equal(wrongMethod.status, 404);
  await wrongMethod.body?.cancel();
});

Deno.test("createMockApp() rejects malformed JSON with 400 and oversized bodies with 413", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep, maxBodyBytes: 64 });
  const bad = await app.request(...post("{not json"));
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /^Bad request: body is not valid JSON/);
  const notObject = await app.request(...post("[1,2]"));
  assert.equal(notObject.status, 400);
  await notObject.body?.cancel();
  const badTokens = await app.request(...post('{"max_tokens":0}'));
  assert.equal(badTokens.status, 400);
  assert.match((await badTokens.json()).error, /max_tokens must be an integer/);
  const big = await app.request(...post(JSON.stringify({ prompt: "x".repeat(100) })));
  assert.equal(big.status, 413);
  assert.match((await big.json()).error, /limit is 64 bytes/);
  // A streamed body without content-length is cut off at the limit too.
  const stream = new Blob(['{"prompt":"', "y".repeat(200), '"}']).stream();
  const streamed = await app.request("http://mock/api", { method: "POST", body: stream });
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
  const s = stats();
  assert.deepEqual(s.requests.by_status, { "400": 3, "413": 2 });
  assert.equal(s.requests.by_route["POST /api"], 5);
});

Deno.test("createMockApp() draws the same waits for the same seed and different ones for another", async () => {
  const run = async (seed: number) => {
    const { mock, waits } = recordingApp({ seed });
    for (let i = 0; i < 20; i++) {
      const res = await mock.app.request(...post(`{"id":${i}}`));
      await res.body?.cancel();
    }
    return waits;
  };
  const a = await run(1);
  const b = await run(1);
  const c = await run(2);
  assert.equal(a.length, 20);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("createMockApp() restarts the random stream when a run is reset", async () => {
  const { mock, waits } = recordingApp({ seed: 5 });
  const send = async () => {
    for (let i = 0; i < 10; i++) {
      const res = await mock.app.request(...post(`{"id":${i}}`));
      await res.body?.cancel();
    }
  };
  await send();
  const reset = await mock.app.request("/stats/reset", { method: "POST" });
  const ended: MockStats = await reset.json();
  assert.equal(ended.requests.total, 10);
  assert.equal(mock.stats().requests.total, 0);
  assert.equal(mock.stats().run, 1);
  await send();
  assert.deepEqual(waits.slice(10), waits.slice(0, 10));
});

Deno.test("drawService() follows the configured lognormal and slow-path rate", () => {
  const rng = createRng(12345);
  const n = 40_000;
  const service: number[] = [];
  const logs: number[] = [];
  let slow = 0;
  for (let i = 0; i < n; i++) {
    const d = drawService(rng, DEFAULT_MOCK_CONFIG);
    service.push(d.serviceMs);
    logs.push(Math.log(d.serviceMs));
    if (d.slowMs > 0) {
      slow++;
      assert.ok(d.slowMs >= 300 && d.slowMs < 600, `slow extra ${d.slowMs} outside [300, 600)`);
    }
  }
  service.sort((x, y) => x - y);
  const median = quantile(service, 0.5);
  assert.ok(Math.abs(median - 120) < 120 * 0.02, `median ${median} not within 2% of 120`);
  const mean = logs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  assert.ok(Math.abs(sd - 0.35) < 0.35 * 0.03, `log sd ${sd} not within 3% of 0.35`);
  // Binomial(40000, 0.03): sd ≈ 34, so ±170 is five sigma.
  assert.ok(Math.abs(slow - 0.03 * n) < 170, `slow path taken ${slow} times, expected ~1200`);
});

Deno.test("createMockApp() waits one round trip plus service time, and setup on new connections", async () => {
  let clock = 0;
  const { mock, waits } = recordingApp({ now: () => clock });
  const setupMs = DEFAULT_MOCK_CONFIG.setupRtts * DEFAULT_MOCK_CONFIG.rttMs;
  const first = await mock.app.request(...post('{"id":1}', 5000));
  const t1 = timing(first);
  await first.body?.cancel();
  assert.equal(t1.setup, setupMs);
  assert.equal(t1.rtt, 40);
  assert.ok(Math.abs(waits[0]! - (setupMs + 40 + t1.service! + t1.slow!)) < 0.2);
  // A request on the same connection while the handshake is still running waits the rest of it.
  clock = 50;
  const during = await mock.app.request(...post('{"id":2}', 5000));
  assert.equal(timing(during).setup, setupMs - 50);
  await during.body?.cancel();
  // Once the connection is up, reuse costs no setup.
  clock = 1000;
  const reused = await mock.app.request(...post('{"id":3}', 5000));
  assert.equal(timing(reused).setup, 0);
  await reused.body?.cancel();
  // Another remote port is another connection.
  const other = await mock.app.request(...post('{"id":4}', 5001));
  assert.equal(timing(other).setup, setupMs);
  await other.body?.cancel();
  // Without a peer address (no socket), no setup is charged and the request is counted as unknown.
  const unknown = await mock.app.request(...post('{"id":5}'));
  assert.equal(timing(unknown).setup, 0);
  await unknown.body?.cancel();
  const c = mock.stats().connections;
  assert.equal(c.opened, 2);
  assert.equal(c.seen, 2);
  assert.equal(c.unknown_peer_requests, 1);
  assert.equal(c.requests_per_connection.max, 3);
  assert.equal(c.requests_per_connection.mean, 2);
  assert.deepEqual(c.requests_per_connection.histogram, { "1": 1, "3-4": 1 });
});

Deno.test("createMockApp() keeps known connections across runs without charging setup again", async () => {
  let clock = 0;
  const { app, reset, stats } = createMockApp({ sleep: noSleep, now: () => clock });
  await (await app.request(...post("{}", 6000))).body?.cancel();
  reset();
  clock = 5000;
  const again = await app.request(...post("{}", 6000));
  assert.equal(timing(again).setup, 0);
  await again.body?.cancel();
  const c = stats().connections;
  assert.equal(c.opened, 0);
  assert.equal(c.seen, 1);
});

Deno.test("createMockApp() reports HTTP/2 for connections without Host or with overlapping requests", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep });
  const env = connectionEnv;
  // No Host header: an HTTP/2 client (HTTP/1.1 requires Host).
  await (await app.request("http://mock/api", { method: "POST", body: "{}" }, env(7000))).body
    ?.cancel();
  // Host header, sequential: HTTP/1.1.
  for (let i = 0; i < 2; i++) {
    await (await app.request(...post("{}", 7001))).body?.cancel();
  }
  const s = stats();
  assert.deepEqual(s.connections.by_http_version, { "HTTP/1.1": 1, "HTTP/2": 1 });
  assert.deepEqual(s.http_versions, { "HTTP/1.1": 2, "HTTP/2": 1 });

  // Overlapping requests with Host on one connection: HTTP/2.
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => release = r);
  const held = createMockApp({ sleep: () => gate });
  const reqs = [1, 2].map(() => held.app.request(...post("{}", 7002)));
  await new Promise((r) => setTimeout(r, 10));
  release();
  for (const r of await Promise.all(reqs)) await r.body?.cancel();
  assert.deepEqual(held.stats().connections.by_http_version, { "HTTP/1.1": 0, "HTTP/2": 1 });
});

Deno.test("createMockApp() digest is equal for the same requests in any order", async () => {
  const bodies = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: i, prompt: `p${i}` }));
  const digestOf = async (list: string[]) => {
    const { app, stats } = createMockApp({ sleep: noSleep });
    await Promise.all(list.map(async (b) => (await app.request(...post(b))).body?.cancel()));
    return stats().digest;
  };
  const a = await digestOf(bodies);
  const b = await digestOf([...bodies].reverse());
  const shuffled = [...bodies];
  const rng = createRng(3);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const c = await digestOf(shuffled);
  assert.equal(a.count, 12);
  assert.equal(a.sha256_sum.length, 64);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  const d = await digestOf([...bodies.slice(1), bodies[0]!.replace("p0", "p9")]);
  assert.notEqual(d.sha256_sum, a.sha256_sum);
  // Duplicates do not cancel out (a XOR would make these two equal).
  const twiceA = await digestOf([bodies[0]!, bodies[0]!]);
  const twiceB = await digestOf([bodies[1]!, bodies[1]!]);
  assert.notEqual(twiceA.sha256_sum, twiceB.sha256_sum);
});

Deno.test("GET /stats reports the config and ?reset=1 starts a new run", async () => {
  const { app } = createMockApp({ sleep: noSleep, seed: 9 });
  await (await app.request("/health")).body?.cancel();
  await (await app.request(...post("{}"))).body?.cancel();
  const s: MockStats = await (await app.request("/stats?reset=1")).json();
  assert.equal(s.config.seed, 9);
  assert.equal(s.config.rttMs, 40);
  assert.equal(s.run, 0);
  assert.deepEqual(s.requests.by_route, { "GET /health": 1, "POST /api": 1 });
  assert.deepEqual(s.requests.by_status, { "200": 2 });
  assert.equal(s.digest.count, 1);
  const next: MockStats = await (await app.request("/stats")).json();
  assert.equal(next.run, 1);
  assert.equal(next.requests.total, 0);
  assert.equal(next.digest.sha256_sum, "0".repeat(64));
});

Deno.test("mockConfigFromFlags() parses flags and rejects bad values by kind", () => {
  const c = mockConfigFromFlags({ "rtt-ms": "20ms", "service-median-ms": "0.1s", seed: "7" });
  assert.equal(c.rttMs, 20);
  assert.equal(c.serviceMedianMs, 100);
  assert.equal(c.seed, 7);
  assert.equal(c.slowRate, DEFAULT_MOCK_CONFIG.slowRate);
  assert.deepEqual(mockConfigFromFlags({ slowRate: 0.5 }).slowRate, 0.5);
  assert.throws(() => mockConfigFromFlags({ "rtt-ms": "fast" }), SyntaxError);
  assert.throws(() => mockConfigFromFlags({ "slow-rate": "1.5" }), RangeError);
  assert.throws(() => mockConfigFromFlags({ seed: "1.5" }), RangeError);
  assert.throws(
    () => mockConfigFromFlags({ "slow-min-ms": "500", "slow-max-ms": "100" }),
    /must be at least --slow-min-ms/,
  );
  assert.throws(() => mockConfigFromFlags({ bogus: "1" }), TypeError);
  assert.throws(() => createMockApp({ rttMs: -1 }), RangeError);
});

Deno.test("MOCK_FLAGS describes every config field with its default", () => {
  const keys = Object.keys(DEFAULT_MOCK_CONFIG).sort();
  assert.deepEqual(MOCK_FLAGS.map((f) => f.key).sort(), keys);
  for (const f of MOCK_FLAGS) {
    assert.equal(f.default, DEFAULT_MOCK_CONFIG[f.key]);
    assert.ok(f.help.length > 10, `flag ${f.name} needs help text`);
    assert.match(f.name, /^[a-z][a-z0-9-]*$/);
  }
});

Deno.test("createMockApp() tells connections apart by the connection, not by a reused port", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep, rttMs: 1, setupRtts: 20 });
  const remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };
  const setups: number[] = [];
  // Three connections one after another from the same address and port (the OS reused it).
  for (let i = 0; i < 3; i++) {
    const env = { remoteAddr, connection: {} };
    const res = await app.request("http://mock/api", {
      method: "POST",
      body: "{}",
      headers: { host: "mock" },
    }, env);
    setups.push(timing(res).setup ?? -1);
    await res.body?.cancel();
  }
  assert.deepEqual(setups, [20, 20, 20], "each new connection pays the setup");
  assert.equal(stats().connections.opened, 3);
  // Without a connection object the peer is unknown, whatever its address.
  await (await app.request("http://mock/api", { method: "POST", body: "{}" }, { remoteAddr }))
    .body?.cancel();
  assert.equal(stats().connections.unknown_peer_requests, 1);
});
