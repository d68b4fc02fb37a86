/**
 * Every profile treats the same URL and the same answer alike, and a failure
 * carries its cause: URL credentials become one `Authorization: Basic` header
 * (never next to the user's own), a final 1xx or 600+ status is a protocol
 * error, an oversized response head is a protocol error, and `https://` to a
 * plain-HTTP server is a TLS error whose message says so.
 */
import assert from "node:assert/strict";
import { createClient, type Outcome, PROFILES } from "../../lib/client/mod.ts";
import { buildRequest } from "../../lib/cli/_request.ts";
import { runClosed } from "../../lib/load/runner.ts";
import { collect } from "../../lib/records/collect.ts";
import { ErrorCauses } from "../../lib/stats/error_causes.ts";
import { rawServer } from "../_raw_server.ts";

const HOST = "127.0.0.2";

/** One request with `profile` (an HTTP/1.1 server: `optimized` is told so, as the probe would). */
async function sendOnce(profile: string, url: string, headers: string[] = []): Promise<Outcome> {
  const request = await buildRequest(url, { headers });
  const client = createClient(profile, {
    concurrency: 1,
    timeoutMs: 5000,
    protocol: profile === "optimized" ? "http/1.1" : "h2",
  });
  try {
    return await client.send(request);
  } finally {
    await client.close();
  }
}

Deno.test("URL credentials become one Basic header in every profile; the user's own Authorization wins", async () => {
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: HOST, port: 0, onListen: () => {} },
    (req) => {
      const auth = req.headers.get("authorization") ?? "";
      seen.push(auth);
      const ok = auth === `Basic ${btoa("alice:s3cret pw")}` || auth === "Bearer mine";
      return new Response(ok ? "ok" : "no", { status: ok ? 200 : 401 });
    },
  );
  try {
    const url = `http://alice:s3cret%20pw@${HOST}:${server.addr.port}/`;
    for (const profile of PROFILES) {
      const creds = await sendOnce(profile, url);
      assert.equal(creds.status, 200, `${profile}: ${seen.at(-1)}`);
      assert.equal(creds.error, "");
      const own = await sendOnce(profile, url, ["Authorization: Bearer mine"]);
      assert.equal(own.status, 200, `${profile} with its own header sent "${seen.at(-1)}"`);
    }
    assert.equal(seen.length, PROFILES.length * 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a final 101, 600 or 999 is a protocol error in every HTTP/1.1 profile", async () => {
  for (const status of [101, 600, 999]) {
    const server = rawServer(`HTTP/1.1 ${status} X\r\ncontent-length: 2\r\n\r\nok`);
    try {
      for (const profile of PROFILES.filter((p) => p !== "fast-h2")) {
        const o = await sendOnce(profile, `http://${HOST}:${server.port}/`);
        assert.equal(o.error, "protocol", `${profile} on ${status}: ${o.error} (${o.status})`);
      }
    } finally {
      server.close();
    }
  }
});

Deno.test("a response head over the limit is a protocol error, with its cause, in every HTTP/1.1 profile", async () => {
  const server = rawServer(
    `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(1 << 20)}\r\ncontent-length: 2\r\n\r\nok`,
  );
  try {
    for (const profile of PROFILES.filter((p) => p !== "fast-h2")) {
      const o = await sendOnce(profile, `http://${HOST}:${server.port}/`);
      assert.equal(o.error, "protocol", `${profile}: ${o.error} ${o.message}`);
      assert.match(o.message ?? "", /too large|larger than/, profile);
    }
  } finally {
    server.close();
  }
});

Deno.test("https:// to a plain-HTTP server is a tls error whose message names the plain answer", async () => {
  const server = rawServer("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  try {
    for (const profile of ["fast", "h1", "baseline"]) {
      const o = await sendOnce(profile, `https://${HOST}:${server.port}/`);
      assert.equal(o.error, "tls", `${profile}: ${o.error} ${o.message}`);
      assert.match(o.message ?? "", /corrupt message/, profile);
    }
  } finally {
    server.close();
  }
});

Deno.test("the runner hands each failure's message to the causes collector", async () => {
  const server = rawServer(`HTTP/1.1 600 X\r\ncontent-length: 2\r\n\r\nok`);
  try {
    const client = createClient("fast", { concurrency: 2, timeoutMs: 5000 });
    const causes = new ErrorCauses();
    const request = await buildRequest(`http://${HOST}:${server.port}/`, { headers: [] });
    try {
      const b = await collect(
        runClosed({ client, requestFor: () => request, concurrency: 2, requests: 6, causes }),
      );
      assert.deepEqual(b.summary().error_kinds, { protocol: 6 });
    } finally {
      await client.close();
    }
    const list = causes.list();
    assert.deepEqual(Object.keys(list), ["protocol"]);
    assert.equal(list.protocol!.length, 1, String(list.protocol));
    assert.match(list.protocol![0]!, /status/);
  } finally {
    server.close();
  }
});
