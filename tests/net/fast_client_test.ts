/**
 * Integration tests for the `fast` profile against scripted raw TCP servers
 * and Deno.serve on 127.0.0.1, port 0. Every server is closed by the test.
 */
import assert from "node:assert/strict";
import { createFastClient } from "../../lib/client/fast.ts";
import type { HttpRequest, Outcome } from "../../lib/client/mod.ts";

// A self-signed certificate for localhost / 127.0.0.1 used only by these tests.
const CERT = `-----BEGIN CERTIFICATE-----
MIIBvTCCAWKgAwIBAgIUGRUEJ7ZyBa91U1aXBS+5xtX7xhIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNjIzMzIzM1oYDzIxMjYxMTAy
MjMzMjMzWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARtBjFKn8RpOcxOCPxoLp8THhliKLOuomcoaCEUajRumW8tvSJURf0G
+LfGe0g3JtlFDX/MOcwEBuSKNJHgeL2eo4GPMIGMMB0GA1UdDgQWBBS3J0uLqcR2
AkqFzx8psTc/kgU4QzAfBgNVHSMEGDAWgBS3J0uLqcR2AkqFzx8psTc/kgU4QzAa
BgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwDAYDVR0TAQH/BAIwADALBgNVHQ8E
BAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwEwCgYIKoZIzj0EAwIDSQAwRgIhAOyX
qMMMVbUMAUIrWp9hk7bAP3H/Ks3X1dfMG3Pbe41jAiEAtmWsrdeKxCfMzX2O5fJm
VSRwf6vojhzfvV1LHvkwUfM=
-----END CERTIFICATE-----\n`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgd8c2bvXvbk55+YF6
WxhIRgnNnL2VxhrbnZkMklaMHW+hRANCAARtBjFKn8RpOcxOCPxoLp8THhliKLOu
omcoaCEUajRumW8tvSJURf0G+LfGe0g3JtlFDX/MOcwEBuSKNJHgeL2e
-----END PRIVATE KEY-----\n`;

const enc = (s: string) => new TextEncoder().encode(s);

interface Script {
  /** What to send back for a request: pieces written with a short pause in between. */
  respond: (req: { conn: number; index: number; head: string }) => {
    pieces: (string | Uint8Array)[];
    close?: boolean;
    hang?: boolean;
  };
}

/** A raw HTTP/1.1 server that answers each request per the script. */
function rawServer(script: Script) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const stopped = Promise.withResolvers<void>();
  const heads: string[] = [];
  let connCount = 0;
  const handle = async (conn: Deno.Conn, id: number) => {
    const buf = new Uint8Array(65536);
    let pending = "";
    let index = 0;
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        pending += new TextDecoder().decode(buf.subarray(0, n));
        let end: number;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          const head = pending.slice(0, end + 4);
          const len = /content-length: *(\d+)/i.exec(head)?.[1];
          const total = end + 4 + (len ? Number(len) : 0);
          if (pending.length < total) break;
          pending = pending.slice(total);
          heads.push(head);
          const plan = script.respond({ conn: id, index: index++, head });
          if (plan.hang) {
            await stopped.promise; // keep the connection open, never answer
            return;
          }
          for (const [i, piece] of plan.pieces.entries()) {
            if (i > 0) await new Promise((r) => setTimeout(r, 2));
            const bytes = typeof piece === "string" ? enc(piece) : piece;
            let w = 0;
            while (w < bytes.length) w += await conn.write(bytes.subarray(w));
          }
          if (plan.close) return;
        }
      }
    } catch {
      // The client went away.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        tasks.push(handle(conn, connCount++));
      }
    } catch { /* listener closed */ }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    get connections() {
      return connCount;
    },
    async close() {
      stopped.resolve();
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.all(tasks);
    },
  };
}

function get(
  url: string,
  method = "GET",
  body: Uint8Array<ArrayBuffer> | null = null,
): HttpRequest {
  return { url, method, headers: [["X-Test", "1"]], body };
}

function assertOk(o: Outcome, status = 200, bytes?: number) {
  assert.equal(o.error, "", `unexpected error ${o.error}`);
  assert.equal(o.status, status);
  if (bytes !== undefined) assert.equal(o.bytes, bytes);
  assert.ok(o.ttfbMs !== null && o.ttfbMs >= 0);
  assert.ok(o.endMs >= o.startedMs + (o.ttfbMs ?? 0) - 1e-6, "end after headers");
}

Deno.test("fast client sends a request line, Host and headers once serialized, and reuses the connection", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"] }),
  });
  const client = createFastClient({ concurrency: 2, timeoutMs: 2000 });
  try {
    const req = get(`${server.url}/path?q=1`);
    for (let i = 0; i < 5; i++) assertOk(await client.send(req), 200, 5);
    const post = await client.send(get(`${server.url}/p`, "POST", enc("abc")));
    assertOk(post, 200, 5);
    assert.equal(server.connections, 1, "one keep-alive connection for sequential requests");
    assert.match(
      server.heads[0]!,
      /^GET \/path\?q=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nX-Test: 1\r\n\r\n$/,
    );
    assert.match(server.heads[5]!, /^POST \/p HTTP\/1\.1\r\n.*Content-Length: 3\r\n\r\n$/s);
    assert.equal(client.name, "fast");
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client opens one connection per request in flight", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok"] }),
  });
  const client = createFastClient({ concurrency: 4, timeoutMs: 2000 });
  try {
    const req = get(server.url + "/");
    for (let round = 0; round < 3; round++) {
      const outs = await Promise.all([0, 1, 2, 3].map(() => client.send(req)));
      for (const o of outs) assertOk(o, 200, 2);
    }
    assert.equal(server.connections, 4);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client with reuse: false opens and closes a connection per request", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] }),
  });
  const client = createFastClient({ concurrency: 2, timeoutMs: 2000, reuse: false });
  try {
    const req = get(server.url + "/");
    for (let i = 0; i < 5; i++) assertOk(await client.send(req), 200, 2);
    const outs = await Promise.all([0, 1].map(() => client.send(req)));
    for (const o of outs) assertOk(o, 200, 2);
    assert.equal(server.connections, 7, "one connection per request, none reused");
    assert.equal(client.connectionsOpened, 7, "the client counts what the server saw");
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client with idleTimeoutMs reconnects after an idle gap longer than it", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] }),
  });
  const short = createFastClient({ concurrency: 1, timeoutMs: 2000, idleTimeoutMs: 30 });
  const long = createFastClient({ concurrency: 1, timeoutMs: 2000, idleTimeoutMs: 10_000 });
  try {
    const req = get(server.url + "/");
    for (const client of [short, long]) {
      assertOk(await client.send(req), 200, 2);
      await new Promise((r) => setTimeout(r, 80));
      assertOk(await client.send(req), 200, 2);
    }
    assert.equal(short.connectionsOpened, 2, "idle 80 ms > 30 ms: a new connection");
    assert.equal(long.connectionsOpened, 1, "idle 80 ms < 10 s: reused");
    assert.equal(server.connections, 3);
  } finally {
    await short.close();
    await long.close();
    await server.close();
  }
});

Deno.test("fast client with maxIdle below the concurrency closes the surplus of a burst", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok"] }),
  });
  const client = createFastClient({ concurrency: 4, timeoutMs: 2000, maxIdle: 2 });
  try {
    const req = get(server.url + "/");
    for (let round = 0; round < 3; round++) {
      const outs = await Promise.all([0, 1, 2, 3].map(() => client.send(req)));
      for (const o of outs) assertOk(o, 200, 2);
    }
    // Round 1 opens 4 and keeps 2 idle; rounds 2 and 3 reuse those 2 and open 2 more each.
    assert.equal(server.connections, 8);
    assert.equal(client.connectionsOpened, 8);
  } finally {
    await client.close();
    await server.close();
  }
  assert.throws(
    () => createFastClient({ concurrency: 4, timeoutMs: 2000, maxIdle: -1 }),
    /maxIdle must be an integer of at least 0, got -1/,
  );
});

Deno.test("fast client keeps maxIdle idle connections per origin, so alternating servers reuse theirs", async () => {
  const respond = () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok"] });
  const a = rawServer({ respond });
  const b = rawServer({ respond });
  // One request at a time, A, B, A, B… as a targets file over two servers at -c 1.
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    for (let i = 0; i < 10; i++) {
      assertOk(await client.send(get(a.url + "/")), 200, 2);
      assertOk(await client.send(get(b.url + "/")), 200, 2);
    }
    assert.equal(a.connections, 1, "server A saw one connection");
    assert.equal(b.connections, 1, "server B saw one connection");
    assert.equal(client.connectionsOpened, 2);
  } finally {
    await client.close();
    await a.close();
    await b.close();
  }
});

Deno.test("fast client parks a burst's connections while paused, and trims again after", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok"] }),
  });
  const client = createFastClient({ concurrency: 4, timeoutMs: 2000, maxIdle: 2 });
  const noReuse = createFastClient({ concurrency: 4, timeoutMs: 2000, reuse: false });
  try {
    const req = get(server.url + "/");
    const burst = async () => {
      for (const o of await Promise.all([0, 1, 2, 3].map(() => client.send(req)))) {
        assertOk(o, 200, 2);
      }
    };
    client.pause!(true);
    await burst(); // opens 4; paused, all 4 are parked
    client.pause!(false);
    await burst(); // takes the 4 parked; unpaused, keeps 2
    assert.equal(client.connectionsOpened, 4);
    await burst(); // reuses 2, opens 2
    assert.equal(client.connectionsOpened, 6);
    // A client that never reuses is not made to by a pause.
    noReuse.pause!(true);
    for (let i = 0; i < 3; i++) assertOk(await noReuse.send(req), 200, 2);
    assert.equal(noReuse.connectionsOpened, 3);
  } finally {
    await client.close();
    await noReuse.close();
    await server.close();
  }
});

Deno.test("fast client decodes chunked bodies with trailers split over many writes", async () => {
  const server = rawServer({
    respond: () => ({
      pieces: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r",
        "\nhel",
        "lo\r\n1;ext=2\r\n!\r\n0\r\nX-Sum: 6\r",
        "\n\r",
        "\n",
      ],
    }),
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    assertOk(await client.send(get(server.url)), 200, 6);
    assertOk(await client.send(get(server.url)), 200, 6);
    assert.equal(server.connections, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client reconnects after Connection: close and after a close-delimited body", async () => {
  const server = rawServer({
    respond: ({ index }) =>
      index === 0
        ? {
          pieces: ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"],
          close: true,
        }
        : { pieces: ["HTTP/1.1 503 Busy\r\n\r\nuntil close"], close: true },
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    assertOk(await client.send(get(server.url)), 200, 1);
    const second = await client.send(get(server.url));
    assert.equal(second.status, 200);
    assert.equal(server.connections, 2);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client records HTTP errors and close-delimited bodies", async () => {
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 503 Busy\r\n\r\nuntil ", "close"], close: true }),
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    const o = await client.send(get(server.url));
    assert.equal(o.status, 503);
    assert.equal(o.error, "http_5xx");
    assert.equal(o.bytes, 11);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client handles HEAD, 204, 304 and 1xx interim responses on one connection", async () => {
  const server = rawServer({
    respond: ({ index }) => {
      switch (index) {
        case 0:
          return { pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"] }; // HEAD
        case 1:
          return { pieces: ["HTTP/1.1 204 No Content\r\n\r\n"] };
        case 2:
          return { pieces: ['HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n'] };
        default:
          return {
            pieces: [
              "HTTP/1.1 100 Continue\r\n\r\n",
              "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            ],
          };
      }
    },
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    assertOk(await client.send(get(server.url, "HEAD")), 200, 0);
    assertOk(await client.send(get(server.url)), 204, 0);
    assertOk(await client.send(get(server.url)), 304, 0);
    assertOk(await client.send(get(server.url, "POST", enc("x"))), 201, 2);
    assert.equal(server.connections, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client counts a body far larger than one read", async () => {
  const size = 3 * 1024 * 1024 + 7;
  const body = new Uint8Array(size).fill(97);
  const server = rawServer({
    respond: () => ({ pieces: [`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`, body] }),
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 5000 });
  try {
    assertOk(await client.send(get(server.url)), 200, size);
    assertOk(await client.send(get(server.url)), 200, size);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client turns malformed responses into protocol errors and recovers", async () => {
  const bad = [
    "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
    "garbage\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  ];
  const server = rawServer({
    respond: ({ conn }) =>
      conn < bad.length
        ? { pieces: [bad[conn]!], close: false }
        : { pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"] },
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    for (let i = 0; i < bad.length; i++) {
      const o = await client.send(get(server.url));
      assert.equal(o.error, "protocol", `case ${i}`);
    }
    assertOk(await client.send(get(server.url)), 200, 0);
    assert.equal(
      server.connections,
      bad.length + 1,
      "a connection is never reused after a protocol error",
    );
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client reports a body cut short and a dropped connection as reset", async () => {
  const server = rawServer({
    respond: ({ conn }) =>
      conn === 0
        ? { pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], close: true }
        : { pieces: [], close: true },
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    const cut = await client.send(get(server.url));
    // Same kind as the fetch profiles give a cut body; the parsed status is kept.
    assert.equal(cut.error, "reset");
    assert.equal(cut.status, 200);
    assert.equal(cut.bytes, 3);
    const dropped = await client.send(get(server.url));
    assert.equal(dropped.error, "reset");
    assert.equal(dropped.status, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client re-sends a GET once, counted, when its pooled connection was closed by the server", async () => {
  // The server closes after each response without a Connection: close header. Each GET after
  // the first takes the pooled connection, finds it closed before any response byte, and is
  // re-sent once on a new connection: every request succeeds, the server sees each once, and
  // the client counts the retries.
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"], close: true }),
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    for (let i = 0; i < 10; i++) assertOk(await client.send(get(server.url)), 200, 2);
    assert.equal(server.heads.length, 10, "the server saw each request once");
    assert.equal(client.retries, 9, "every request after the first was re-sent, and counted");
    assert.equal(client.connectionsOpened, 10);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client does not re-send a POST on a connection the server closed", async () => {
  // A non-idempotent request is never sent twice: the closed pooled connection is a reset.
  const server = rawServer({
    respond: () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], close: true }),
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  const post = get(server.url, "POST", enc("{}"));
  try {
    assertOk(await client.send(post), 200, 0);
    await new Promise((r) => setTimeout(r, 20));
    const second = await client.send(post);
    assert.equal(second.error, "reset");
    assert.equal(server.heads.length, 1, "the request was not sent again");
    assert.equal(client.retries, 0);
    assertOk(await client.send(post), 200, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client times out a request the server never answers", async () => {
  const server = rawServer({ respond: () => ({ pieces: [], hang: true }) });
  const client = createFastClient({ concurrency: 1, timeoutMs: 100 });
  try {
    const o = await client.send(get(server.url));
    assert.equal(o.error, "timeout");
    assert.equal(o.status, 0);
    assert.ok(o.endMs - o.startedMs >= 99, `timed out after ${o.endMs - o.startedMs} ms`);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client reports a refused connection as connect_refused", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const client = createFastClient({ concurrency: 1, timeoutMs: 1000 });
  try {
    const o = await client.send(get(`http://127.0.0.1:${port}/`));
    assert.equal(o.error, "connect_refused");
    assert.equal(o.ttfbMs, null);
  } finally {
    await client.close();
  }
});

Deno.test("fast client reports bad requests as errors instead of rejecting", async () => {
  const client = createFastClient({ concurrency: 1, timeoutMs: 1000 });
  try {
    const o = await client.send({
      url: "ftp://127.0.0.1/",
      method: "GET",
      headers: [],
      body: null,
    });
    assert.equal(o.error, "other");
    const inj = await client.send({
      url: "http://127.0.0.1:1/",
      method: "GET",
      headers: [["X", "a\r\nB: c"]],
      body: null,
    });
    assert.equal(inj.error, "other");
  } finally {
    await client.close();
  }
});

Deno.test("fast client speaks HTTPS with a trusted CA and reports an untrusted one as tls", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY, signal: ac.signal, onListen: () => {} },
    () => new Response("secure"),
  );
  const url = `https://localhost:${server.addr.port}/`;
  const trusted = createFastClient({ concurrency: 1, timeoutMs: 2000, caCerts: [CERT] });
  const untrusted = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    assertOk(await trusted.send(get(url)), 200, 6);
    assertOk(await trusted.send(get(url)), 200, 6);
    const o = await untrusted.send(get(url));
    assert.equal(o.error, "tls");
  } finally {
    await trusted.close();
    await untrusted.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("fast client works against Deno.serve with keep-alive", async () => {
  const ac = new AbortController();
  const ports = new Set<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (_req, info) => {
      ports.add(info.remoteAddr.port);
      return new Response("x".repeat(100));
    },
  );
  const client = createFastClient({ concurrency: 3, timeoutMs: 2000 });
  try {
    const req = get(`http://127.0.0.1:${server.addr.port}/`);
    for (let i = 0; i < 10; i++) {
      const outs = await Promise.all([client.send(req), client.send(req), client.send(req)]);
      for (const o of outs) assertOk(o, 200, 100);
    }
    assert.equal(ports.size, 3);
  } finally {
    await client.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("fast client sendThen() hands over the same outcomes as send(), once each", async () => {
  const server = rawServer({
    respond: ({ index }) =>
      index === 2
        ? { pieces: ["HTTP/1.1 503 Busy\r\nContent-Length: 1\r\n\r\nx"] }
        : { pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] },
  });
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        // An outcome is valid during the callback only (the connection refills it): copy it.
        await new Promise<Outcome>((resolve) =>
          client.sendThen!(get(server.url), (o) => resolve({ ...o }))
        ),
      );
    }
    assert.deepEqual(outcomes.map((o) => [o.status, o.error]), [
      [200, ""],
      [200, ""],
      [503, "http_5xx"],
      [200, ""],
    ]);
    assert.equal(server.connections, 1, "one keep-alive connection");
    let calls = 0;
    await client.close();
    client.sendThen!(get(server.url), (o) => {
      calls++;
      assert.equal(o.error, "aborted");
    });
    assert.equal(calls, 1, "a closed client answers at once, once");
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fast client reports a request body write to a closed socket as an error, not a hang", async () => {
  // The server closes without reading: a small request's write is not awaited, so its
  // failure must still end the request (as reset or the write's own error) within the timeout.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted = (async () => {
    for (let i = 0; i < 2; i++) (await listener.accept()).close();
  })();
  const client = createFastClient({ concurrency: 1, timeoutMs: 2000 });
  try {
    for (let i = 0; i < 2; i++) {
      const o = await client.send(get(`http://127.0.0.1:${port}/`));
      assert.notEqual(o.error, "", "the request failed");
      assert.notEqual(o.error, "timeout", "it failed at once, not by the timeout");
    }
  } finally {
    await client.close();
    await accepted;
    listener.close();
  }
});

Deno.test("fast client never reuses a connection whose large request is still being written", async () => {
  // The server answers the upload's headers at once (413) and reads none of its body until
  // released; the upload starts from the completion of a GET on the same connection, whose
  // read loop is still running, so the early answer arrives while the body is being written.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`;
  const release = Promise.withResolvers<void>();
  let connections = 0;
  const serve = (async () => {
    for await (const conn of listener) {
      const id = connections++;
      void (async () => {
        const buf = new Uint8Array(65536);
        try {
          for (let index = 0;; index++) {
            let head = "";
            while (!head.includes("\r\n\r\n")) {
              const n = await conn.read(buf);
              if (n === null) return;
              head += new TextDecoder().decode(buf.subarray(0, n));
            }
            if (id === 0 && index === 1) {
              await conn.write(enc("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n"));
              await release.promise;
              while ((await conn.read(buf)) !== null) { /* drain the upload */ }
              return;
            }
            await conn.write(enc("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
          }
        } catch {
          // The client went away.
        } finally {
          conn.close();
        }
      })();
    }
  })().catch(() => {});
  const client = createFastClient({ concurrency: 1, timeoutMs: 5000 });
  try {
    // 32 MiB: more than the loopback socket buffers hold, so the write cannot finish early.
    const upload = get(url, "POST", new Uint8Array(32 * 1024 * 1024));
    const early = await new Promise<Outcome>((resolve) => {
      client.sendThen!(get(url), (first) => {
        assertOk(first, 200, 2);
        client.sendThen!(upload, resolve);
      });
    });
    assert.equal(early.status, 413);
    // The next request must not queue behind the unfinished upload: a new connection.
    assertOk(await client.send(get(url)), 200, 2);
    assert.equal(connections, 2);
  } finally {
    release.resolve();
    await client.close();
    listener.close();
    await serve;
  }
});

Deno.test("fast client reads a response that comes before its request body is written, on a new connection", async (t) => {
  // The server reads the request head only, answers 413 and closes (at once: the unread body
  // makes that close an RST, as the mock's raw transport does) or holds the connection open
  // without reading (the upload can never finish). The 413 is the answer either way.
  for (const closeAtOnce of [true, false]) {
    await t.step(
      closeAtOnce ? "the server closes at once" : "the server stops reading",
      async () => {
        const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`;
        const release = Promise.withResolvers<void>();
        let connections = 0;
        const handlers: Promise<void>[] = [];
        const serve = (async () => {
          for await (const conn of listener) {
            connections++;
            handlers.push((async () => {
              const buf = new Uint8Array(65536);
              try {
                let head = "";
                while (!head.includes("\r\n\r\n")) {
                  const n = await conn.read(buf);
                  if (n === null) return;
                  head += new TextDecoder().decode(buf.subarray(0, n));
                }
                await conn.write(
                  enc("HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nbig!"),
                );
                if (!closeAtOnce) await release.promise;
              } catch {
                // The client went away.
              } finally {
                conn.close();
              }
            })());
          }
        })().catch(() => {});
        const client = createFastClient({ concurrency: 1, timeoutMs: 5000 });
        try {
          // 32 MiB: more than the loopback socket buffers hold, so the write cannot finish early.
          const upload = get(url, "POST", new Uint8Array(32 * 1024 * 1024));
          for (let i = 0; i < 3; i++) {
            const o = await client.send(upload);
            assert.equal(o.error, "http_4xx", `upload ${i}: ${o.error}`);
            assert.equal(o.status, 413);
            assert.equal(o.bytes, 4);
            assert.ok(o.endMs - o.startedMs < 5000, "before the timeout");
          }
          assert.equal(connections, 3, "a connection whose upload was cut short is not reused");
        } finally {
          release.resolve();
          await client.close();
          listener.close();
          await serve;
          await Promise.all(handlers);
        }
      },
    );
  }
});
