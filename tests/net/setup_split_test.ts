/**
 * The client-side split of a difference into connection setup and the rest
 * (from the `fast` engine's own connect and TLS times, `setup_split.ts`)
 * agrees with the mock's `/stats` split (`attribution.ts`), on one mock
 * configuration for both clients: TLS, with the setup held at the
 * handshake (`--setup-at-handshake`), where a client can see it.
 *
 * Needs the engines to record `connect_ms`, `tls_ms` and `conn`.
 */
import assert from "node:assert/strict";
import { createClient } from "../../lib/client/mod.ts";
import { collect } from "../../lib/records/collect.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { runClosed } from "../../lib/load/runner.ts";
import { suiteRequest } from "../../lib/load/suite_run.ts";
import { computeLadder } from "../../lib/stats/ladder.ts";
import { attributeFromMockStats } from "../../lib/stats/mock_stats.ts";
import { serveMock } from "../../mock/server.ts";

const testdata = new URL("../testdata/", import.meta.url);
const [CA, CERT, KEY] = await Promise.all(
  ["ca.pem", "server.pem", "server-key.pem"].map((f) => Deno.readTextFile(new URL(f, testdata))),
);

/** 200 ms of setup per new connection (10 RTT of 20 ms): far above the real TLS work on loopback. */
const MOCK = {
  rttMs: 20,
  setupRtts: 10,
  serviceMedianMs: 5,
  serviceSigma: 0.2,
  slowRate: 0,
  seed: 3,
};
const REQUESTS = 120;
const CONCURRENCY = 10;

async function measure(
  url: string,
  options: Record<string, unknown>,
): Promise<RequestRecord[]> {
  const client = createClient("fast", {
    concurrency: CONCURRENCY,
    timeoutMs: 10_000,
    caCerts: [CA!],
    ...options,
  });
  const records: RequestRecord[] = [];
  try {
    await collect(
      runClosed({
        client,
        requestFor: (i) => suiteRequest(url, i),
        concurrency: CONCURRENCY,
        requests: REQUESTS,
      }),
      { onRecord: (r) => records.push(r) },
    );
  } finally {
    await client.close();
  }
  return records;
}

Deno.test("serve with setupAtHandshake holds a new connection's setup in its TLS handshake", async () => {
  const server = serveMock({
    rttMs: 20,
    setupRtts: 5,
    serviceMedianMs: 1,
    slowRate: 0,
    hostname: "127.0.0.1",
    port: 0,
    cert: CERT!,
    key: KEY!,
    setupAtHandshake: true,
  });
  try {
    const t0 = performance.now();
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [CA!],
    });
    await conn.handshake();
    const handshakeMs = performance.now() - t0;
    assert.ok(handshakeMs >= 100, `handshake took ${handshakeMs.toFixed(1)} ms, hold is 100 ms`);
    const t1 = performance.now();
    await conn.write(new TextEncoder().encode(
      "GET /api?id=1 HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
    ));
    const text = await new Response(conn.readable).text();
    const responseMs = performance.now() - t1;
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.match(text, /server-timing: setup;dur=0[.,]/i, "the first request waits no more");
    assert.ok(responseMs < handshakeMs + 100, `first response ${responseMs.toFixed(1)} ms`);
    assert.equal(server.app.stats().connections.opened, 1);
    assert.throws(
      () => serveMock({ port: 0, setupAtHandshake: true }),
      (e: Error) => e instanceof TypeError && e.message.includes("--cert and --key"),
    );
  } finally {
    await server.close();
  }
});

Deno.test({
  name:
    "the client's setup split agrees with the mock's /stats split when setup is held at the handshake",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const server = serveMock({
      ...MOCK,
      hostname: "127.0.0.1",
      port: 0,
      cert: CERT!,
      key: KEY!,
      setupAtHandshake: true,
    });
    try {
      const api = new URL("/api", server.url).href;
      server.app.reset();
      const noReuse = await measure(api, { reuse: false });
      const statsA = server.app.reset();
      const keepAlive = await measure(api, { maxIdle: CONCURRENCY });
      const statsB = server.app.reset();
      assert.equal(statsA.setup_at, "handshake");
      assert.equal(statsA.connections.opened, REQUESTS, "no reuse: a connection per request");
      assert.ok(statsB.connections.opened <= CONCURRENCY + 2, String(statsB.connections.opened));
      assert.ok(
        noReuse.some((r) => r.tlsMs !== null),
        "the fast engine recorded no tls_ms: this test needs the engines' phases",
      );

      const ladder = computeLadder([
        { name: "no-reuse", records: noReuse, mockStats: statsA },
        { name: "keep-alive", records: keepAlive, mockStats: statsB },
      ], {
        rules: [],
        confidence: 0.95,
        bootstrap: { resamples: 1000, seed: 1 },
        concurrency: CONCURRENCY,
        attribute: attributeFromMockStats,
      });
      const step = ladder.steps[0]!;
      const mock = step.attribution!;
      const client = step.setup_split!;
      assert.ok(mock.exact, "HTTP/1.1: the mock's split is exact");
      // The mock's setup part of the mean difference, per request.
      const mockMean = mock.setup_delta_ms.min / mock.requests;
      const clientMean = client.metrics.find((m) => m.metric === "mean")!;
      // The client also pays the real TLS work (a few ms a connection on loopback), which the
      // mock does not model: its setup part can only be larger (more negative) by that much.
      const real = realHandshakeMs(noReuse, MOCK.rttMs * MOCK.setupRtts);
      const [lo, hi] = clientMean.setup.ci_ms;
      assert.ok(
        lo - 1 <= mockMean && mockMean <= hi + real + 1,
        `mock ${mockMean.toFixed(1)} ms vs client ${clientMean.setup.delta_ms.toFixed(1)} ms [${
          lo.toFixed(1)
        }, ${hi.toFixed(1)}] (+ real TLS ${real.toFixed(1)} ms)`,
      );
      // And both say setup is most of the difference: the rest is small next to the 200 ms hold.
      assert.ok(Math.abs(clientMean.rest.delta_ms) < 50, String(clientMean.rest.delta_ms));
      const p50 = client.metrics.find((m) => m.metric === "p50")!;
      assert.ok(p50.setup.delta_ms < -190, `P50 setup part ${p50.setup.delta_ms}`);
    } finally {
      await server.close();
    }
  },
});

/** The client's mean TLS time beyond the mock's hold, over the requests that opened a connection. */
function realHandshakeMs(records: readonly RequestRecord[], holdMs: number): number {
  const opened = records.filter((r) => r.tlsMs !== null);
  const extra = opened.reduce((s, r) => s + (r.connectMs ?? 0) + r.tlsMs! - holdMs, 0);
  return Math.max(0, extra / Math.max(1, opened.length));
}
