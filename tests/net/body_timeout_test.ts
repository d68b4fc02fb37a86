/**
 * Integration: `--timeout` covers the whole request, body included. A server
 * that answers 200 and then streams an endless chunked body must not keep a
 * client reading forever: every profile ends near its timeout with a
 * `timeout` outcome that keeps the real status and the bytes received.
 */
import assert from "node:assert/strict";
import { createClient, type Outcome } from "../../lib/client/mod.ts";

const CHUNK = (() => {
  const data = "x".repeat(16384);
  return new TextEncoder().encode(`4000\r\n${data}\r\n`);
})();

/** A raw HTTP/1.1 server: a 200 head, then 16 KiB chunks for as long as the client reads. */
function endlessH1(): { url: string; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const stopAt = performance.now() + 30_000;
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      await conn.read(new Uint8Array(65536));
      await conn.write(
        new TextEncoder().encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
      );
      // Bounded: the client closes first, or 30 s pass.
      while (performance.now() < stopAt) {
        let off = 0;
        while (off < CHUNK.length) off += await conn.write(CHUNK.subarray(off));
      }
    } catch {
      // The client went away: that is how every stream here ends.
    } finally {
      // Removed from the set first, so close() never closes a connection twice.
      if (conns.delete(conn)) conn.close();
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    async close() {
      listener.close();
      for (const c of conns) {
        conns.delete(c);
        c.close();
      }
      await accepting;
    },
  };
}

/** Deno.serve with an endless streamed body (h2c prior knowledge for `optimized`). */
function endlessServe(): { url: string; close(): Promise<void> } {
  const chunk = new Uint8Array(16384).fill(120);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) })),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    close: () => server.shutdown(),
  };
}

async function sendWithTimeout(profile: string, url: string): Promise<[Outcome | "hung", number]> {
  const client = createClient(profile, { concurrency: 1, timeoutMs: 2000 });
  const t0 = performance.now();
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    const o = await Promise.race([
      client.send({ url, method: "GET", headers: [], body: null }),
      new Promise<"hung">((r) => (guard = setTimeout(() => r("hung"), 8000))),
    ]);
    return [o, performance.now() - t0];
  } finally {
    clearTimeout(guard);
    await client.close();
  }
}

for (const profile of ["baseline", "h1", "fresh", "fast"]) {
  Deno.test(`${profile} profile ends an endless body at the timeout with status 200 and the bytes`, async () => {
    const server = endlessH1();
    try {
      const [o, ms] = await sendWithTimeout(profile, server.url);
      assert.notEqual(o, "hung", `${profile} was still reading after 8 s with a 2 s timeout`);
      if (o === "hung") return;
      assert.equal(o.error, "timeout");
      assert.equal(o.status, 200);
      assert.ok(o.bytes > 0, `bytes received: ${o.bytes}`);
      assert.ok(o.ttfbMs !== null);
      assert.ok(ms >= 1900 && ms < 8000, `ended after ${ms.toFixed(0)} ms`);
    } finally {
      await server.close();
    }
  });
}

Deno.test("optimized profile (HTTP/2) ends an endless body at the timeout with status 200", async () => {
  const server = endlessServe();
  try {
    const [o, ms] = await sendWithTimeout("optimized", server.url);
    assert.notEqual(o, "hung");
    if (o === "hung") return;
    assert.equal(o.error, "timeout");
    assert.equal(o.status, 200);
    assert.ok(o.bytes > 0);
    assert.ok(ms >= 1900 && ms < 8000, `ended after ${ms.toFixed(0)} ms`);
  } finally {
    await server.close();
  }
});
