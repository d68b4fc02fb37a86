import assert from "node:assert/strict";
import { serveMock } from "../../mock/server.ts";

const QUICK = { rttMs: 0, setupRtts: 0, serviceMedianMs: 0.01, serviceSigma: 0, slowRate: 0 };
const encoder = new TextEncoder();

/** One request on a fresh TCP connection, read to the end, then closed by the client. */
async function freshRequest(port: number, ports: Set<number>): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    ports.add((conn.localAddr as Deno.NetAddr).port);
    const req = "GET /api?id=1&max_tokens=1 HTTP/1.1\r\nHost: mock\r\n\r\n";
    await conn.write(encoder.encode(req));
    const buf = new Uint8Array(4096);
    let text = "";
    // Bounded: stops at the end of the response (content-length) or after 64 reads.
    for (let i = 0; i < 64; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      const end = text.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(text);
      if (end >= 0 && len && text.length >= end + 4 + Number(len[1])) break;
    }
    assert.match(text, /^HTTP\/1\.1 200/);
  } finally {
    conn.close();
  }
}

for (const raw of [false, true]) {
  Deno.test(
    `serveMock(${
      raw ? "raw" : "default"
    }) counts 6,000 fresh connections as 6,000, though the client reuses ports`,
    async () => {
      const server = serveMock({ ...QUICK, raw });
      const ports = new Set<number>();
      try {
        const total = 6_000;
        let next = 0;
        const deadline = Date.now() + 120_000;
        await Promise.all(Array.from({ length: 50 }, async () => {
          // Bounded by the request count and the deadline.
          while (next < total && Date.now() < deadline) {
            next++;
            await freshRequest(server.port, ports);
          }
        }));
        assert.equal(next, total, "all requests sent before the deadline");
        const c = server.app.stats().connections;
        assert.equal(c.opened, total, `opened (client used ${ports.size} distinct ports)`);
        assert.equal(c.seen, total);
        assert.equal(server.app.stats().requests.total, total);
      } finally {
        await server.close();
      }
    },
  );
}

Deno.test("serveMock() answers every one of 50 pipelined requests on the raw transport", async () => {
  const server = serveMock({ ...QUICK, raw: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const one = "GET /health HTTP/1.1\r\nHost: mock\r\n\r\n";
    await conn.write(encoder.encode(one.repeat(50)));
    let text = "";
    const buf = new Uint8Array(64 * 1024);
    const deadline = Date.now() + 20_000;
    // Bounded by the deadline and by the 50 answers.
    while (Date.now() < deadline && (text.match(/HTTP\/1\.1 200/g) ?? []).length < 50) {
      const n = await Promise.race([
        conn.read(buf),
        new Promise<null>((r) => setTimeout(() => r(null), 2_000)),
      ]);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    assert.equal((text.match(/HTTP\/1\.1 200/g) ?? []).length, 50);
  } finally {
    conn.close();
    await server.close();
  }
});
