/** fast-h2's explicit --connections × --streams against the requests in flight. */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";

Deno.test("bench --client fast-h2 warns when --connections × --streams hold fewer streams than -c", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const common = ["bench", url, "--client", "fast-h2", "-n", "20", "--no-csv", "-q"];
  try {
    const short = await runCli([...common, "--connections", "2", "--streams", "3", "-c", "20"]);
    assert.equal(short.code, 0, short.stderr);
    assert.match(
      short.stderr,
      /warning: --connections 2 × --streams 3 = 6 streams for 20 requests in flight: 14 wait in tailgate's queue at a time, and that wait counts in their latency \(raise --streams, or lower -c\)/,
    );
    const enough = await runCli([...common, "--connections", "2", "--streams", "10", "-c", "20"]);
    assert.equal(enough.code, 0, enough.stderr);
    assert.doesNotMatch(enough.stderr, /warning/);
  } finally {
    await server.shutdown();
  }
});
