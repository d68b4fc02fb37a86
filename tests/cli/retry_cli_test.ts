/**
 * `bench` against a server that closes every connection after its response
 * without `Connection: close`: the `fast` engine re-sends a GET that finds its
 * pooled connection closed, once, and the summary and `--json` say how many.
 */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";
import { serveHttp1 } from "../_http1_server.ts";

Deno.test("bench shows the requests fast re-sent after a server closed their pooled connection", async () => {
  const server = serveHttp1({ hostname: "127.0.0.1", closeAfterEach: true });
  try {
    const args = [server.url + "/", "-n", "12", "-c", "2", "--warmup", "0", "--client", "fast"];
    const text = await runCli(["bench", ...args]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /errors\s+0 /);
    const line = /^retries\s+(\d+) \(re-sent once on a new connection/m.exec(text.stdout);
    assert.ok(line !== null, `a retries line in:\n${text.stdout}`);
    // Only the first request on each of the 2 connections finds it open.
    assert.equal(Number(line[1]), 10);

    const json = await runCli(["bench", ...args, "--json", "-"]);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.summary.errors, 0);
    assert.equal(doc.retries, 10);
    // The server saw each request once: the retried ones never reached it the first time.
    assert.equal(server.requests(), 24);
  } finally {
    await server.close();
  }
});

Deno.test("bench --json says retries: null for a client that does not count them", async () => {
  const server = serveHttp1({ hostname: "127.0.0.1" });
  try {
    const json = await runCli([
      "bench",
      server.url + "/",
      "-n",
      "3",
      "--client",
      "h1",
      "--json",
      "-",
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).retries, null);
  } finally {
    await server.close();
  }
});
