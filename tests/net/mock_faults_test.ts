import assert from "node:assert/strict";
import { classifyError } from "../../lib/client/_classify_error.ts";
import {
  createMockApp,
  DEFAULT_MOCK_CONFIG,
  type FaultSettings,
  type MockStats,
  wireFaults,
} from "../../mock/app.ts";
import { drawFault } from "../../mock/_faults.ts";
import { abortableSleep } from "../../lib/clock.ts";
import { serveMock } from "../../mock/server.ts";

const noSleep = () => Promise.resolve();
const FAST = { rttMs: 1, setupRtts: 1, serviceMedianMs: 1, serviceSigma: 0, slowRate: 0 };

function post(body = '{"id":1}'): [string, RequestInit] {
  return ["http://mock/api", { method: "POST", body, headers: { host: "mock" } }];
}

/** Sends one POST /api over a socket and reports how far it got; never throws. */
async function attempt(
  url: string,
  client?: Deno.HttpClient,
  signal?: AbortSignal,
): Promise<{ status: number; bytes: number; error: string; stage: string }> {
  const init: RequestInit & { client?: Deno.HttpClient } = { method: "POST", body: '{"id":1}' };
  if (client) init.client = client;
  if (signal) init.signal = signal;
  let status = 0;
  let bytes = 0;
  try {
    const res = await fetch(`${url}/api`, init);
    status = res.status;
    for await (const chunk of res.body ?? []) bytes += chunk.byteLength;
    return { status, bytes, error: "", stage: "done" };
  } catch (err) {
    return { status, bytes, error: classifyError(err), stage: status ? "body" : "headers" };
  }
}

async function until(check: () => boolean): Promise<void> {
  // Bounded: 400 × 5 ms.
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
}

Deno.test("drawFault() lays the rates end to end in a fixed order", () => {
  const config = {
    ...DEFAULT_MOCK_CONFIG,
    errorRate: 0.1,
    unavailableRate: 0.1,
    throttleRate: 0.1,
    resetRate: 0.1,
    cutRate: 0.1,
    stallRate: 0.1,
    slowBodyRate: 0.1,
    malformedRate: 0.1,
  };
  const kinds = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85].map((u) =>
    drawFault(u, config)
  );
  assert.deepEqual(kinds, [
    "error",
    "unavailable",
    "throttle",
    "reset",
    "cut",
    "stall",
    "slow_body",
    "malformed",
    null,
  ]);
  assert.equal(drawFault(0.999, DEFAULT_MOCK_CONFIG), null);
  assert.equal(drawFault(0, DEFAULT_MOCK_CONFIG), null);
});

Deno.test("createMockApp() injects HTTP error faults at their rates and counts them", async () => {
  const mock = createMockApp({
    sleep: noSleep,
    errorRate: 0.2,
    unavailableRate: 0.1,
    throttleRate: 0.1,
    retryAfterS: 7,
  });
  const n = 1000;
  let retryAfter = "";
  for (let i = 0; i < n; i++) {
    const res = await mock.app.request(...post(`{"id":${i}}`));
    if (res.status === 429) retryAfter = res.headers.get("retry-after") ?? "";
    await res.body?.cancel();
  }
  const s = mock.stats();
  assert.equal(s.faults.error, s.requests.by_status["500"]);
  assert.equal(s.faults.unavailable, s.requests.by_status["503"]);
  assert.equal(s.faults.throttle, s.requests.by_status["429"]);
  assert.equal(retryAfter, "7");
  // Binomial(1000, p): five sigma is about ±63 for 0.2 and ±48 for 0.1.
  assert.ok(Math.abs(s.faults.error - 200) < 63, `errors ${s.faults.error}`);
  assert.ok(Math.abs(s.faults.unavailable - 100) < 48, `503s ${s.faults.unavailable}`);
  assert.ok(Math.abs(s.faults.throttle - 100) < 48, `429s ${s.faults.throttle}`);
  const ok = s.requests.by_status["200"] ?? 0;
  assert.equal(ok + s.faults.error + s.faults.unavailable + s.faults.throttle, n);
});

Deno.test("createMockApp() keeps latency draws unchanged when faults are turned on", async () => {
  const waitsWith = async (errorRate: number) => {
    const waits: number[] = [];
    const mock = createMockApp({
      errorRate,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    for (let i = 0; i < 30; i++) await (await mock.app.request(...post())).body?.cancel();
    return waits;
  };
  // A 500 is answered after the full service time, so every wait must match the fault-free run.
  assert.deepEqual(await waitsWith(1), await waitsWith(0));
});

Deno.test("GET and POST /admin/faults read and change the schedule mid-run", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep });
  const initial: FaultSettings = await (await app.request("/admin/faults")).json();
  assert.equal(initial.errorRate, 0);
  assert.equal(initial.stallMaxMs, 60_000);
  assert.equal((await app.request(...post())).status, 200);
  const set = await app.request("/admin/faults", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ errorRate: 1 }),
  });
  assert.equal(set.status, 200);
  assert.equal((await set.json()).errorRate, 1);
  const failed = await app.request(...post());
  assert.equal(failed.status, 500);
  assert.match((await failed.json()).error, /injected fault/);
  assert.equal(stats().config.errorRate, 1);
  assert.equal(stats().faults.error, 1);

  const bad = async (body: string, pattern: RegExp) => {
    const res = await app.request("/admin/faults", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 400, body);
    assert.match((await res.json()).error, pattern);
  };
  await bad("{", /not valid JSON/);
  await bad("[]", /JSON object/);
  await bad('{"rttMs":1}', /unknown fault setting "rttMs"/);
  await bad('{"errorRate":"1"}', /errorRate must be a number/);
  await bad('{"errorRate":1.5}', /within 0 and 1/);
  await bad('{"errorRate":0.6,"throttleRate":0.6}', /add up to more than 1/);
  // A rejected update leaves the schedule as it was.
  assert.equal((await (await app.request("/admin/faults")).json()).errorRate, 1);

  const closed = createMockApp({ sleep: noSleep, admin: false });
  const res = await closed.app.request("/admin/faults");
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

Deno.test("createMockApp() refuses malformed faults on the Deno.serve transport", async () => {
  assert.throws(() => createMockApp({ transport: "deno", malformedRate: 0.1 }), {
    name: "TypeError",
    message: /raw HTTP\/1\.1 transport/,
  });
  const mock = createMockApp({ transport: "deno", sleep: noSleep });
  assert.throws(() => mock.setFaults({ malformedRate: 0.5 }), TypeError);
  const res = await mock.app.request("/admin/faults", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"malformedRate":0.5}',
  });
  assert.equal(res.status, 400);
  await res.body?.cancel();
  assert.equal(mock.config.malformedRate, 0);
});

Deno.test("createMockApp() reset and cut responses fail their body streams", async () => {
  const reset = createMockApp({ sleep: noSleep, resetRate: 1 });
  const r = await reset.app.request(...post());
  assert.equal(wireFaults.get(r)?.kind, "reset");
  await assert.rejects(r.text(), { name: "InjectedFault" });
  assert.equal(reset.stats().faults.reset, 1);
  assert.deepEqual(reset.stats().requests.by_status, {});

  const cut = createMockApp({ sleep: noSleep, cutRate: 1 });
  const c = await cut.app.request(...post());
  const declared = Number(c.headers.get("content-length"));
  const fault = wireFaults.get(c);
  assert.equal(fault?.kind, "cut");
  assert.equal(fault?.cutAfterBytes, Math.floor(declared / 2));
  const reader = c.body!.getReader();
  const first = await reader.read();
  assert.equal(first.value?.byteLength, Math.floor(declared / 2));
  await assert.rejects(reader.read(), { name: "InjectedFault" });
});

Deno.test("createMockApp() trickles a slow body in pieces over slowBodyMs", async () => {
  const waits: number[] = [];
  const mock = createMockApp({
    ...FAST,
    slowBodyRate: 1,
    slowBodyMs: 700,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  const res = await mock.app.request(...post('{"id":1,"max_tokens":50}'));
  const body = await res.json();
  assert.equal(body.tokens, 50);
  // One wait for the latency model, then seven gaps of 700/7 ms between the eight pieces.
  assert.deepEqual(waits.slice(1), Array(7).fill(100));
  assert.equal(mock.stats().faults.slow_body, 1);
});

Deno.test("createMockApp() ends a stall with 504 at the cap or when the client leaves", async () => {
  const capped = createMockApp({ sleep: noSleep, stallRate: 1, stallMaxMs: 5 });
  const res = await capped.app.request(...post());
  assert.equal(res.status, 504);
  await res.body?.cancel();
  assert.deepEqual(capped.stats().stalls, { client_gone: 0, capped: 1, server_closed: 0 });

  // Real timers: a one-minute stall that only the client's abort can end in test time.
  const mock = createMockApp({ sleep: abortableSleep, stallRate: 1, stallMaxMs: 60_000 });
  const client = new AbortController();
  const pending = mock.app.request(
    new Request("http://mock/api", { method: "POST", body: "{}", signal: client.signal }),
  );
  await until(() => mock.stats().faults.stall === 1);
  client.abort();
  const ended = await pending;
  assert.equal(ended.status, 504);
  await ended.body?.cancel();
  assert.deepEqual(mock.stats().stalls, { client_gone: 1, capped: 0, server_closed: 0 });
});

Deno.test("createMockApp() survives hostile input and keeps answering", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep, maxBodyBytes: 1024 });
  const inputs: BodyInit[] = [
    new Uint8Array([0xff, 0xfe, 0x00, 0x81]),
    "null",
    '"just a string"',
    '{"max_tokens":1e9}',
    '{"prompt":42}',
    "x".repeat(2048),
  ];
  const statuses: number[] = [];
  for (const body of inputs) {
    const res = await app.request("http://mock/api", { method: "POST", body });
    statuses.push(res.status);
    await res.body?.cancel();
  }
  assert.deepEqual(statuses, [400, 400, 400, 400, 400, 413]);
  const ok = await app.request(...post());
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  assert.equal(stats().requests.total, inputs.length + 1);
});

Deno.test("serveMock() Deno.serve transport: what a client sees for reset and cut", async () => {
  const server = serveMock({ ...FAST, resetRate: 1 });
  const h1 = Deno.createHttpClient({ http1: true, http2: false });
  const h2 = Deno.createHttpClient({ http1: false, http2: true });
  try {
    // HTTP/1.1: Deno.serve writes the headers before the body fails, so the failure is in the body.
    const a = await attempt(server.url, h1);
    assert.deepEqual([a.status, a.bytes, a.stage], [200, 0, "body"]);
    // HTTP/2: the stream is reset before any headers.
    const b = await attempt(server.url, h2);
    assert.deepEqual([b.status, b.stage], [0, "headers"]);
    server.app.setFaults({ resetRate: 0, cutRate: 1 });
    const c = await attempt(server.url, h1);
    assert.equal(c.status, 200);
    assert.equal(c.stage, "body");
    const s = server.app.stats();
    assert.equal(s.faults.reset, 2);
    assert.equal(s.faults.cut, 1);
    assert.equal(s.requests.total, 3);
  } finally {
    h1.close();
    h2.close();
    await server.close();
  }
});

Deno.test("serveMock() raw transport serves keep-alive HTTP/1.1 with the same digest", async () => {
  const bodies = ['{"id":1}', '{"id":2,"max_tokens":3}', '{"id":3}'];
  const run = async (raw: boolean) => {
    const server = serveMock({ ...FAST, raw });
    const client = Deno.createHttpClient({ http1: true, http2: false, poolMaxIdlePerHost: 2 });
    try {
      for (const body of bodies) {
        const res = await fetch(`${server.url}/api`, { method: "POST", body, client });
        assert.equal(res.status, 200);
        assert.equal((await res.json()).model, "tailgate-mock");
      }
      const chunked = await fetch(`${server.url}/api`, {
        method: "POST",
        client,
        body: new Blob(['{"id":', "4}"]).stream(),
      });
      assert.equal(chunked.status, 200);
      await chunked.body?.cancel();
      const get = await fetch(`${server.url}/api?id=9&max_tokens=2`, { client });
      assert.equal((await get.json()).tokens, 2);
      return server.app.stats();
    } finally {
      client.close();
      await server.close();
    }
  };
  const raw = await run(true);
  const deno = await run(false);
  assert.equal(raw.connections.opened, 1);
  assert.equal(raw.connections.requests_per_connection.max, 5);
  assert.deepEqual(raw.digest, deno.digest);
  assert.equal(raw.digest.count, 5);
});

Deno.test("serveMock() raw transport closes before any byte on reset, and fetch retries reused connections", async () => {
  const server = serveMock({ ...FAST, raw: true });
  const client = Deno.createHttpClient({ http1: true, http2: false, poolMaxIdlePerHost: 1 });
  try {
    assert.equal((await attempt(server.url, client)).status, 200);
    // Flip the schedule over HTTP mid-run, from another connection.
    const flip = await fetch(`${server.url}/admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"resetRate":1}',
    });
    assert.equal(flip.status, 200);
    await flip.body?.cancel();
    const failed = await attempt(server.url, client);
    assert.deepEqual(failed, { status: 0, bytes: 0, error: "reset", stage: "headers" });
    const s: MockStats = await (await fetch(`${server.url}/stats`)).json();
    // One good request, then the reset one on the reused connection and fetch's automatic
    // retry on a new connection (reset again): three requests reached the server, two failed.
    assert.equal(s.requests.by_route["POST /api"], 3);
    assert.equal(s.faults.reset, 2);
    assert.equal(s.connections.opened, 2);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("serveMock() raw transport writes malformed responses and cut bodies", async () => {
  const server = serveMock({ ...FAST, raw: true, malformedRate: 1 });
  const fresh = () => Deno.createHttpClient({ http1: true, http2: false, poolMaxIdlePerHost: 0 });
  try {
    const kinds = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const client = fresh();
      try {
        const a = await attempt(server.url, client);
        assert.equal(a.status, 0);
        kinds.add(a.error);
      } finally {
        client.close();
      }
    }
    assert.deepEqual([...kinds], ["protocol"]);
    assert.equal(server.app.stats().faults.malformed, 4);
    server.app.setFaults({ malformedRate: 0, cutRate: 1 });
    const client = fresh();
    try {
      const c = await attempt(server.url, client);
      assert.equal(c.status, 200);
      assert.equal(c.stage, "body");
      assert.ok(c.bytes > 0, "half the body arrives before the cut");
    } finally {
      client.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("serveMock() raw transport answers bad requests and keeps serving", async () => {
  const server = serveMock({ ...FAST, raw: true, maxBodyBytes: 100 });
  try {
    const talk = async (bytes: string): Promise<string> => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        await conn.write(new TextEncoder().encode(bytes));
        const buf = new Uint8Array(4096);
        let text = "";
        // Bounded: the server closes these connections after answering.
        for (let i = 0; i < 100; i++) {
          const n = await conn.read(buf);
          if (n === null) break;
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        return text;
      } finally {
        conn.close();
      }
    };
    assert.match(await talk("NOT HTTP\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(
      await talk("POST /api HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n"),
      /^HTTP\/1\.1 400 /,
    );
    const big = await talk(
      "POST /api HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n" + "x".repeat(200),
    );
    assert.match(big, /^HTTP\/1\.1 413 /);
    assert.match(big, /connection: close/);
    const ok = await talk("GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    assert.match(ok, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(ok, /\{"ok":true\}$/);
  } finally {
    await server.close();
  }
});

Deno.test("serveMock() ends a stall when the client gives up", async () => {
  const server = serveMock({ ...FAST, stallRate: 1, stallMaxMs: 60_000 });
  try {
    const a = await attempt(server.url, undefined, AbortSignal.timeout(50));
    assert.equal(a.error, "timeout");
    await until(() => server.app.stats().stalls.client_gone === 1);
    assert.deepEqual(server.app.stats().stalls, { client_gone: 1, capped: 0, server_closed: 0 });
  } finally {
    await server.close();
  }
});

Deno.test("/admin/faults and the stats reset refuse web pages of another origin", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep });
  const json = { "content-type": "application/json" };
  // A cross-origin form or fetch with text/plain needs no preflight: it must not change faults.
  const plain = await app.request("/admin/faults", {
    method: "POST",
    body: '{"resetRate":1}',
    headers: { "content-type": "text/plain" },
  });
  assert.equal(plain.status, 415);
  assert.match((await plain.json()).error, /application\/json/);
  const foreign = await app.request("/admin/faults", {
    method: "POST",
    body: '{"resetRate":1}',
    headers: { ...json, origin: "http://evil.example" },
  });
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();
  const crossSite = await app.request("/stats?reset=1", {
    headers: { "sec-fetch-site": "cross-site" },
  });
  assert.equal(crossSite.status, 403);
  await crossSite.body?.cancel();
  const reset = await app.request("/stats/reset", {
    method: "POST",
    headers: { origin: "http://evil.example" },
  });
  assert.equal(reset.status, 403);
  await reset.body?.cancel();
  assert.equal(stats().config.resetRate, 0, "faults unchanged");
  assert.equal(stats().run, 0, "no reset happened");
  // The same origin (and non-browser callers, with no Origin) still work.
  const same = await app.request("http://localhost/admin/faults", {
    method: "POST",
    body: '{"resetRate":0.5}',
    headers: { ...json, origin: "http://localhost" },
  });
  assert.equal(same.status, 200);
  await same.body?.cancel();
  assert.equal(stats().config.resetRate, 0.5);
});

Deno.test("a public mock cannot have its stats reset", async () => {
  const { app, stats } = createMockApp({ sleep: noSleep, admin: false });
  const post = await app.request("/stats/reset", { method: "POST" });
  assert.equal(post.status, 404);
  await post.body?.cancel();
  const get = await app.request("/stats?reset=1");
  assert.equal(get.status, 403);
  assert.match((await get.json()).error, /off on a public mock/);
  assert.equal(stats().run, 0);
});
