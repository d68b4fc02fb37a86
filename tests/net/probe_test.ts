/**
 * The protocol probe against real servers on loopback: Deno.serve (h2c and
 * ALPN h2), a raw HTTP/1.1-only server (cleartext and TLS), an HTTP/2-only
 * TLS server, nginx with cleartext HTTP/2 when installed, and a closed port.
 * No probe sends an HTTP request that a server handler would see.
 */
import assert from "node:assert/strict";
import { probeProtocol } from "../../lib/client/probe.ts";
import { serveHttp1 } from "../_http1_server.ts";

const DATA = new URL("../testdata/", import.meta.url).pathname;
const cert = Deno.readTextFileSync(`${DATA}server.pem`);
const key = Deno.readTextFileSync(`${DATA}server-key.pem`);
const ca = Deno.readTextFileSync(`${DATA}ca.pem`);

function serveDeno(tls: boolean) {
  let seen = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, ...(tls ? { cert, key } : {}) },
    () => {
      seen++;
      return new Response("ok");
    },
  );
  return { server, seen: () => seen };
}

Deno.test("probeProtocol() finds h2c on Deno.serve over http:// without sending a request", async () => {
  const { server, seen } = serveDeno(false);
  try {
    const found = await probeProtocol(`http://127.0.0.1:${server.addr.port}/api`);
    assert.equal(found.protocol, "h2");
    assert.equal(found.via, "prior-knowledge");
    assert.equal(found.http1, true, "Deno.serve speaks HTTP/1.1 too");
    assert.match(found.reason, /SETTINGS/);
    assert.equal(seen(), 0, "the handler saw no request");
  } finally {
    await server.shutdown();
  }
});

Deno.test("probeProtocol() finds h2 by ALPN on Deno.serve over https://", async () => {
  const { server, seen } = serveDeno(true);
  try {
    const found = await probeProtocol(`https://localhost:${server.addr.port}/`, { caCerts: [ca] });
    assert.equal(found.protocol, "h2");
    assert.equal(found.via, "alpn");
    assert.equal(found.http1, true);
    assert.match(found.reason, /chose h2/);
    assert.equal(seen(), 0);
  } finally {
    await server.shutdown();
  }
});

Deno.test("probeProtocol() falls back to HTTP/1.1 on an HTTP/1.1-only server", async () => {
  const server = serveHttp1({ hostname: "127.0.0.1" });
  try {
    const found = await probeProtocol(`${server.url}/`);
    assert.equal(found.protocol, "http/1.1");
    assert.equal(found.via, "prior-knowledge");
    assert.equal(found.http1, true);
    assert.match(found.reason, /does not speak HTTP\/2.*replied in HTTP\/1\.x/);
    assert.equal(server.requests(), 0, "the preface is not counted as a request");
  } finally {
    await server.close();
  }
});

Deno.test("probeProtocol() reads http/1.1 from ALPN on an HTTP/1.1-only TLS server", async () => {
  const server = serveHttp1({ hostname: "127.0.0.1", tls: { cert, key } });
  try {
    const found = await probeProtocol(`https://localhost:${server.port}/`, { caCerts: [ca] });
    assert.equal(found.protocol, "http/1.1");
    assert.equal(found.via, "alpn");
    assert.match(found.reason, /chose http\/1\.1/);
  } finally {
    await server.close();
  }
});

Deno.test("probeProtocol() says when a TLS server refuses http/1.1 alone", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert,
    key,
    alpnProtocols: ["h2"],
  });
  const accepting = (async () => {
    for await (const conn of listener) {
      conn.handshake().catch(() => {}).finally(() => setTimeout(() => conn.close(), 50));
    }
  })().catch(() => {});
  try {
    const found = await probeProtocol(`https://localhost:${listener.addr.port}/`, {
      caCerts: [ca],
    });
    assert.equal(found.protocol, "h2");
    assert.equal(found.http1, false);
    assert.match(found.reason, /refused http\/1\.1/);
  } finally {
    listener.close();
    await accepting;
  }
});

Deno.test("probeProtocol() does not fail on a closed port: it says so and assumes HTTP/1.1", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const found = await probeProtocol(`http://127.0.0.1:${port}/`);
  assert.equal(found.protocol, "http/1.1");
  assert.equal(found.via, "unreachable");
  assert.equal(found.unreachable, "connect_refused");
  assert.match(found.reason, /could not connect \(connect_refused\)/);
});

Deno.test("probeProtocol() decides HTTP/1.1 when a server stays silent for the probe timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  try {
    const found = await probeProtocol(`http://127.0.0.1:${listener.addr.port}/`, {
      timeoutMs: 200,
    });
    assert.equal(found.protocol, "http/1.1");
    assert.match(found.reason, /no reply within 200 ms/);
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting;
  }
});

Deno.test("probeProtocol() rejects with NotCapable when the net permission is missing", {
  permissions: { net: ["127.0.0.1"] },
}, async () => {
  await assert.rejects(() => probeProtocol("http://127.0.0.2:9999/"), Deno.errors.NotCapable);
});
