/**
 * Integration: each client profile really does what it claims, as counted by
 * the mock server (connections opened, HTTP version), and every profile sends
 * byte-identical requests (server-side digest).
 */
import assert from "node:assert/strict";
import { serveMock } from "../../mock/server.ts";
import { createClient } from "../../lib/client/mod.ts";
import { runClosed } from "../../lib/load/runner.ts";
import { collect } from "../../lib/records/collect.ts";
import { suiteRequest } from "../../lib/load/suite_run.ts";

const FAST_MOCK = { rttMs: 0, setupRtts: 0, serviceMedianMs: 1, serviceSigma: 0, slowRate: 0 };
const N = 30;
const C = 5;

async function runProfile(profile: string) {
  const server = serveMock({ ...FAST_MOCK, port: 0 });
  try {
    const client = createClient(profile, { concurrency: C, timeoutMs: 5000 });
    const api = `${server.url}/api`;
    let b;
    try {
      b = await collect(
        runClosed({ client, requestFor: (i) => suiteRequest(api, i), concurrency: C, requests: N }),
      );
    } finally {
      await client.close();
    }
    return { summary: b.summary(), stats: server.app.stats() };
  } finally {
    await server.close();
  }
}

Deno.test("optimized profile multiplexes every request over one HTTP/2 connection", async () => {
  const { summary, stats } = await runProfile("optimized");
  assert.equal(summary.successes, N);
  assert.equal(stats.connections.opened, 1);
  assert.equal(stats.http_versions["HTTP/2"], N);
});

Deno.test("h1 profile reuses at most one HTTP/1.1 connection per slot", async () => {
  const { summary, stats } = await runProfile("h1");
  assert.equal(summary.successes, N);
  assert.ok(
    stats.connections.opened >= 1 && stats.connections.opened <= C,
    `opened ${stats.connections.opened}`,
  );
  assert.equal(stats.http_versions["HTTP/1.1"], N);
});

Deno.test("baseline profile (plain fetch) keeps connections alive, at most one per slot", async () => {
  const { summary, stats } = await runProfile("baseline");
  assert.equal(summary.successes, N);
  assert.ok(
    stats.connections.opened >= 1 && stats.connections.opened <= C,
    `opened ${stats.connections.opened}`,
  );
});

Deno.test("fresh profile opens a new connection for every request", async () => {
  const { summary, stats } = await runProfile("fresh");
  assert.equal(summary.successes, N);
  assert.equal(stats.connections.opened, N);
});

Deno.test("every profile sends identical requests (server-side digest)", async () => {
  const digests = [];
  for (const p of ["baseline", "optimized", "h1", "fresh"]) {
    digests.push((await runProfile(p)).stats.digest);
  }
  for (const d of digests) assert.deepEqual(d, digests[0]);
  assert.equal(digests[0]!.count, N);
});

Deno.test("createClient() rejects an unknown profile", () => {
  assert.throws(() => createClient("turbo", { concurrency: 1, timeoutMs: 1 }), {
    name: "TypeError",
    message: /Unknown client profile "turbo"/,
  });
});

Deno.test("a refused connection becomes a record with error connect_refused, not an exception", async () => {
  // Bind then close to find a port with nothing listening.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const client = createClient("h1", { concurrency: 1, timeoutMs: 2000 });
  try {
    const o = await client.send({
      url: `http://127.0.0.1:${port}/`,
      method: "GET",
      headers: [],
      body: null,
    });
    assert.equal(o.status, 0);
    assert.equal(o.error, "connect_refused");
  } finally {
    await client.close();
  }
});
