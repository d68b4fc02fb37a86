/**
 * `optimized` against requests that span two servers: one speaks h2c, the
 * other HTTP/1.1 only (as `--targets` with nginx and a Node app). Each
 * request goes out in its own origin's protocol.
 */
import assert from "node:assert/strict";
import { createClient } from "../../lib/client/mod.ts";
import { serveHttp1 } from "../_http1_server.ts";

Deno.test("optimized speaks each origin's protocol when given originProtocols", async () => {
  const h2c = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  const h1 = serveHttp1({ hostname: "127.0.0.1" });
  const h2Url = `http://127.0.0.1:${h2c.addr.port}/a`;
  const client = createClient("optimized", {
    concurrency: 2,
    timeoutMs: 5000,
    protocol: "h2",
    originProtocols: { [new URL(h2Url).origin]: "h2", [h1.url]: "http/1.1" },
  });
  try {
    for (const url of [h2Url, `${h1.url}/b`, h2Url, `${h1.url}/c`]) {
      const o = await client.send({ url, method: "GET", headers: [], body: null });
      assert.equal(o.error, "", `${url}: ${o.message ?? ""}`);
      assert.equal(o.status, 200);
    }
    assert.equal(h1.requests(), 2, "the HTTP/1.1-only server answered both of its requests");
  } finally {
    await client.close();
    await h2c.shutdown();
    await h1.close();
  }
});
