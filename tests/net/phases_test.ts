/**
 * Per-request phases from each engine (docs/phases.md): the first body byte
 * against a streaming server whose first-token delays are known (it measures
 * them itself), and which requests carry a connection's connect and TLS
 * handshake. Servers on 127.0.0.2 (plain) and 127.0.0.1 (TLS, the test
 * certificate's address), port 0; every loop is bounded.
 */
import assert from "node:assert/strict";
import { createClient } from "../../lib/client/mod.ts";
import type { Client, HttpRequest, Outcome } from "../../lib/client/types.ts";
import { nearestRank, startSseServer } from "../_sse_server.ts";

const testdata = new URL("../testdata/", import.meta.url);
const [CA, CERT, KEY] = await Promise.all(
  ["ca.pem", "server.pem", "server-key.pem"].map((f) => Deno.readTextFile(new URL(f, testdata))),
);

/** `n` requests from `c` workers, each sending its next when the last one ends. */
async function closedLoop(
  client: Client,
  req: HttpRequest,
  n: number,
  c: number,
): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (left > 0) {
        left--;
        out.push(await client.send(req));
      }
    }),
  );
  return out;
}

function chat(url: string): HttpRequest {
  return {
    url: `${url}/v1/chat/completions`,
    method: "POST",
    headers: [["content-type", "application/json"]],
    body: new TextEncoder().encode('{"stream":true}'),
  };
}

function values(outs: Outcome[], pick: (o: Outcome) => number | null | undefined): number[] {
  return outs.map(pick).filter((v): v is number => typeof v === "number");
}

for (const profile of ["fast", "fast-h2", "h1"] as const) {
  Deno.test(`${profile}: first_body_ms is the first token, within 3 ms of the server's own delay at P50, and ttfb_ms the early headers`, async () => {
    const sse = await startSseServer({ seed: 11 });
    const client = createClient(profile, { concurrency: 10, timeoutMs: 5_000 });
    try {
      // Warm up (connections, JIT) first, as a run does: its delays are not compared.
      await closedLoop(client, chat(sse.url), 10, 10);
      const outs = await closedLoop(client, chat(sse.url), 60, 10);
      assert.equal(outs.filter((o) => o.error !== "").length, 0);
      const firstBody = values(outs, (o) => o.firstBodyMs);
      const ttfb = values(outs, (o) => o.ttfbMs);
      assert.equal(firstBody.length, 60, "every streamed response has a first body byte");
      const server = sse.firstTokenMs().slice(10);
      assert.equal(server.length, 60);
      const client50 = nearestRank(firstBody, 50);
      const server50 = nearestRank(server, 50);
      assert.ok(
        Math.abs(client50 - server50) <= 3,
        `first_body P50 ${client50.toFixed(3)} ms vs the server's ${server50.toFixed(3)} ms`,
      );
      // Headers are flushed at once: the time to the first byte is far below the first token.
      assert.ok(nearestRank(ttfb, 50) < 20, `ttfb P50 ${nearestRank(ttfb, 50)} ms`);
      for (const o of outs) assert.ok(o.firstBodyMs! >= o.ttfbMs!, "the body comes after headers");
    } finally {
      await client.close();
      await sse.close();
    }
  });
}

Deno.test("fetch profiles leave connect_ms, tls_ms and conn empty: fetch does not expose them", async () => {
  const sse = await startSseServer({ seed: 3, medianMs: 5 });
  const client = createClient("h1", { concurrency: 2, timeoutMs: 5_000 });
  try {
    const outs = await closedLoop(client, chat(sse.url), 4, 2);
    for (const o of outs) {
      assert.equal(o.connectMs ?? null, null);
      assert.equal(o.tlsMs ?? null, null);
      assert.equal(o.conn ?? null, null);
      assert.ok(o.firstBodyMs! > 0);
    }
  } finally {
    await client.close();
    await sse.close();
  }
});

Deno.test("fast: a response with an empty body has no first_body_ms; a reused connection no connect_ms", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.2", port: 0, signal: ac.signal, onListen: () => {} },
    () => new Response(null, { status: 204 }),
  );
  const client = createClient("fast", { concurrency: 1, timeoutMs: 2_000 });
  try {
    const url = `http://127.0.0.2:${server.addr.port}/`;
    const req: HttpRequest = { url, method: "GET", headers: [], body: null };
    const first = await client.send(req);
    const second = await client.send(req);
    assert.equal(first.status, 204);
    assert.equal(first.firstBodyMs, null);
    assert.ok(first.connectMs! > 0);
    assert.equal(first.tlsMs, null, "plain TCP has no handshake");
    assert.equal(first.conn, 1);
    assert.equal(second.connectMs, null);
    assert.equal(second.conn, 1);
  } finally {
    await client.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("fast over TLS with keep-alive at c=20: exactly the requests that opened a connection carry connect_ms and tls_ms", async () => {
  const ac = new AbortController();
  const ports = new Set<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY, signal: ac.signal, onListen() {} },
    (_req, info) => {
      ports.add(info.remoteAddr.port);
      return new Response("secure");
    },
  );
  const client = createClient("fast", { concurrency: 20, timeoutMs: 5_000, caCerts: [CA!] });
  try {
    const req: HttpRequest = {
      url: `https://127.0.0.1:${server.addr.port}/`,
      method: "GET",
      headers: [],
      body: null,
    };
    const outs = await closedLoop(client, req, 200, 20);
    assert.equal(outs.filter((o) => o.error !== "").length, 0);
    const opened = client.connectionsOpened!;
    assert.equal(opened, ports.size, "the server saw as many connections as the client opened");
    const openers = outs.filter((o) => o.connectMs !== null);
    assert.equal(openers.length, opened);
    assert.deepEqual(outs.filter((o) => o.tlsMs !== null), openers, "TLS on the same requests");
    // One opener per connection number, numbered 1..opened.
    assert.deepEqual(
      openers.map((o) => o.conn).sort((a, b) => a! - b!),
      Array.from({ length: opened }, (_, i) => i + 1),
    );
    for (const o of openers) {
      assert.ok(o.connectMs! > 0 && o.tlsMs! > 0);
      // The setup is part of the request's time to first byte.
      assert.ok(o.ttfbMs! >= o.connectMs! + o.tlsMs!);
    }
    assert.equal(new Set(outs.map((o) => o.conn)).size, opened);
  } finally {
    await client.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("fast-h2 over TLS: the requests that waited for a connection's setup carry their share of it; later ones none", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY, signal: ac.signal, onListen() {} },
    () => new Response("secure"),
  );
  const client = createClient("fast-h2", {
    concurrency: 20,
    timeoutMs: 5_000,
    caCerts: [CA!],
    connections: 2,
  });
  try {
    const req: HttpRequest = {
      url: `https://127.0.0.1:${server.addr.port}/`,
      method: "GET",
      headers: [],
      body: null,
    };
    // All 20 sent at once: both connections open while they wait.
    const first = await Promise.all(Array.from({ length: 20 }, () => client.send(req)));
    const later = await closedLoop(client, req, 100, 20);
    assert.equal([...first, ...later].filter((o) => o.error !== "").length, 0);
    assert.equal(client.connectionsOpened, 2);
    assert.deepEqual(new Set(first.map((o) => o.conn)), new Set([1, 2]));
    for (const o of first) assert.ok(o.tlsMs! > 0, "each waited for a handshake");
    for (const conn of [1, 2]) {
      const on = first.filter((o) => o.conn === conn);
      // The opener started first and carries the whole setup; every share ends when it does.
      const opener = on.reduce((a, b) => (a.startedMs <= b.startedMs ? a : b));
      assert.ok(opener.connectMs! > 0);
      // Every share ends at the setup's end (those that started before the connect began,
      // sooner: their share starts at the connect).
      const end = (o: Outcome) => o.startedMs + (o.connectMs ?? 0) + o.tlsMs!;
      const setupEnd = Math.max(...on.map(end));
      for (const o of on) {
        assert.ok((o.connectMs ?? 0) <= opener.connectMs!);
        assert.ok(end(o) <= setupEnd + 1e-6);
        if (o.connectMs == null) assert.ok(Math.abs(end(o) - setupEnd) < 1e-6);
      }
    }
    for (const o of later) {
      assert.equal(o.connectMs, null);
      assert.equal(o.tlsMs, null);
      assert.ok(o.conn === 1 || o.conn === 2);
    }
  } finally {
    await client.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("the SSE test server survives a client that cancels a stream mid-way", async () => {
  const sse = await startSseServer({ medianMs: 5, sigma: 0.01, tokens: 6, gapMs: 5 });
  const url = `${sse.url}/v1/chat/completions`;
  try {
    const res = await fetch(url, { method: "POST", body: "{}" });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.byteLength > 0, "the first token arrived");
    await reader.cancel();
    // The remaining tokens were due 5 ms apart: give their timers time to fire.
    await new Promise((r) => setTimeout(r, 60));
    const again = await fetch(url, { method: "POST", body: "{}" });
    const text = await again.text();
    assert.match(text, /data: \[DONE\]/, "a later stream is served whole");
  } finally {
    await sse.close();
  }
});
