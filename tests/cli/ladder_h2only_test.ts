/**
 * `suite --ladder` against a server that refuses HTTP/1.1 (ALPN `h2` only,
 * as Node's `http2.createSecureServer` without `allowHTTP1`): three of its
 * four rungs could only fail, so it refuses before sending anything.
 */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";

const DATA = new URL("../testdata/", import.meta.url).pathname;

Deno.test("suite --ladder refuses an HTTP/2-only server with one line, exit 2, files untouched", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(`${DATA}server.pem`),
    key: Deno.readTextFileSync(`${DATA}server-key.pem`),
    alpnProtocols: ["h2"],
  });
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.handshake().catch(() => {}).finally(() => setTimeout(() => conn.close(), 50));
    }
  })().catch(() => {});
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ladder_h2only_test_" });
  try {
    const r = await runCli(
      [
        "suite",
        `https://localhost:${listener.addr.port}/`,
        "--ladder",
        "--ca-cert",
        `${DATA}ca.pem`,
        "-n",
        "10",
        "--out-dir",
        dir,
      ],
      { writeDirs: [dir] },
    );
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      /^tailgate suite: Cannot run the ladder: the server refuses HTTP\/1\.1 \(.*\), and rungs 1 to 3 speak HTTP\/1\.1; compare HTTP\/2 clients with suite --baseline optimized --candidate fast-h2\n$/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
    assert.ok(accepted <= 2, `only the probe connected (${accepted})`);
  } finally {
    listener.close();
    await accepting;
    await Deno.remove(dir, { recursive: true });
  }
});
