import assert from "node:assert/strict";
import type { MockStats } from "../../mock/app.ts";
import { isLoopback, serveMock } from "../../mock/server.ts";

// Fast latency so the socket tests take milliseconds; the model itself is tested in mock_app_test.ts.
const FAST = { rttMs: 1, setupRtts: 1, serviceMedianMs: 1, serviceSigma: 0, slowRate: 0 };
const testdata = new URL("../testdata/", import.meta.url);

async function send(url: string, client?: Deno.HttpClient, id = 0): Promise<number> {
  const init: RequestInit & { client?: Deno.HttpClient } = {
    method: "POST",
    body: JSON.stringify({ id, max_tokens: 4 }),
    headers: { "content-type": "application/json" },
  };
  if (client) init.client = client;
  const res = await fetch(`${url}/api`, init);
  await res.arrayBuffer();
  return res.status;
}

async function statsOf(url: string): Promise<MockStats> {
  const res = await fetch(`${url}/stats`);
  return await res.json();
}

Deno.test("serveMock() counts one connection for a keep-alive HTTP/1.1 client", async () => {
  const server = serveMock(FAST);
  const client = Deno.createHttpClient({ http1: true, http2: false, poolMaxIdlePerHost: 4 });
  try {
    for (let i = 0; i < 10; i++) assert.equal(await send(server.url, client, i), 200);
    const s = server.app.stats();
    assert.equal(s.requests.by_route["POST /api"], 10);
    assert.equal(s.connections.opened, 1);
    assert.equal(s.connections.requests_per_connection.max, 10);
    assert.deepEqual(s.connections.requests_per_connection.histogram, { "9-16": 1 });
    assert.deepEqual(s.http_versions, { "HTTP/1.1": 10, "HTTP/2": 0 });
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("serveMock() counts a new connection per request for a client without reuse", async () => {
  const server = serveMock(FAST);
  try {
    for (let i = 0; i < 6; i++) {
      const client = Deno.createHttpClient({ http1: true, http2: false, poolMaxIdlePerHost: 0 });
      try {
        assert.equal(await send(server.url, client, i), 200);
      } finally {
        client.close();
      }
    }
    const s = server.app.stats();
    assert.equal(s.connections.opened, 6);
    assert.equal(s.connections.requests_per_connection.max, 1);
    assert.deepEqual(s.connections.requests_per_connection.histogram, { "1": 6 });
  } finally {
    await server.close();
  }
});

Deno.test("serveMock() serves h2c: many concurrent requests on one HTTP/2 connection", async () => {
  const server = serveMock(FAST);
  const client = Deno.createHttpClient({ http1: false, http2: true });
  try {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(server.url, client, i)),
    );
    assert.deepEqual(statuses, Array(20).fill(200));
    // Read over the socket too: the control route is not counted as load.
    const s = await statsOf(server.url);
    assert.equal(s.requests.total, 20);
    assert.equal(s.connections.opened, 1);
    assert.deepEqual(s.connections.by_http_version, { "HTTP/1.1": 0, "HTTP/2": 1 });
    assert.deepEqual(s.http_versions, { "HTTP/1.1": 0, "HTTP/2": 20 });
    assert.equal(s.digest.count, 20);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("serveMock() serves HTTPS with ALPN h2 and http/1.1 using the test certificate", async () => {
  const [ca, cert, key] = await Promise.all(
    ["ca.pem", "server.pem", "server-key.pem"].map((f) => Deno.readTextFile(new URL(f, testdata))),
  );
  const server = serveMock({ ...FAST, cert: cert!, key: key! });
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const h2 = Deno.createHttpClient({ caCerts: [ca!] });
  const h1 = Deno.createHttpClient({ caCerts: [ca!], http1: true, http2: false });
  try {
    await Promise.all(Array.from({ length: 5 }, (_, i) => send(server.url, h2, i)));
    const viaAlpn = server.app.reset();
    assert.equal(viaAlpn.connections.opened, 1);
    assert.deepEqual(viaAlpn.http_versions, { "HTTP/1.1": 0, "HTTP/2": 5 });
    assert.equal(await send(server.url, h1), 200);
    assert.equal(await send(server.url, h1), 200);
    const s = server.app.stats();
    assert.equal(s.connections.opened, 1);
    assert.deepEqual(s.http_versions, { "HTTP/1.1": 2, "HTTP/2": 0 });
    // localhost is in the certificate too.
    assert.equal(await send(`https://localhost:${server.port}`, h1), 200);
  } finally {
    h1.close();
    h2.close();
    await server.close();
  }
});

Deno.test("serveMock() refuses non-loopback interfaces unless public", () => {
  assert.throws(() => serveMock({ hostname: "0.0.0.0" }), {
    name: "TypeError",
    message: /pass --public/,
  });
  assert.throws(() => serveMock({ cert: "x" }), TypeError);
  assert.equal(isLoopback("127.0.0.1"), true);
  assert.equal(isLoopback("127.8.0.2"), true);
  assert.equal(isLoopback("localhost"), true);
  assert.equal(isLoopback("[::1]"), true);
  assert.equal(isLoopback("::1"), true);
  assert.equal(isLoopback("0.0.0.0"), false);
  assert.equal(isLoopback("192.168.1.2"), false);
  assert.equal(isLoopback("127.0.0.1.example.com"), false);
});

Deno.test("serveMock() binds ::1 and picks a free port", async () => {
  const server = serveMock({ ...FAST, hostname: "::1" });
  try {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://[::1]:${server.port}`);
    assert.equal(await send(server.url), 200);
  } finally {
    await server.close();
  }
});

Deno.test("serveMock() close() ends requests still waiting on the latency model", async () => {
  // A ten-minute service time: only close() can end this request in test time.
  const server = serveMock({ ...FAST, serviceMedianMs: 600_000 });
  const pending = send(server.url);
  // Wait until the server has the request (bounded: 200 × 5 ms).
  for (let i = 0; i < 200 && server.app.stats().requests.total === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(server.app.stats().requests.total, 1);
  await server.close();
  assert.equal(await pending, 200);
});
