import assert from "node:assert/strict";
import { createClient } from "../../lib/client/mod.ts";
import { PROFILES } from "../../lib/client/types.ts";

Deno.test("every profile records a redirect as the answer and never follows it", async () => {
  let hits = 0;
  // A redirect loop: each URL sends the client to the next one.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    hits++;
    const n = Number(new URL(req.url).searchParams.get("n") ?? "0");
    return new Response("moved", { status: 302, headers: { location: `/loop?n=${n + 1}` } });
  });
  try {
    for (const name of PROFILES) {
      hits = 0;
      const client = createClient(name, { concurrency: 1, timeoutMs: 5_000 });
      try {
        const out = await client.send({
          url: `http://127.0.0.1:${server.addr.port}/loop?n=0`,
          method: "GET",
          headers: [],
          body: null,
        });
        assert.equal(out.status, 302, name);
        assert.equal(out.error, "", `${name}: a 3xx counts as success`);
        assert.equal(hits, 1, `${name}: the redirect was not followed`);
      } finally {
        await client.close();
      }
    }
  } finally {
    await server.shutdown();
  }
});
