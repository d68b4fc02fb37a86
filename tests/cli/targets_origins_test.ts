/**
 * A targets file that spans two servers, one speaking h2c (Deno.serve) and
 * one HTTP/1.1 only (as nginx or a Node app without HTTP/2): `optimized`
 * must speak each one's protocol, in bench and in suite.
 */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";
import { serveHttp1 } from "../_http1_server.ts";

const NET = "127.0.0.1,127.0.0.2";

async function withTwoServers(
  f: (file: string, dir: string) => Promise<void>,
  h1Answers = true,
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "targets_origins_test_" });
  const h2c = Deno.serve(
    { hostname: "127.0.0.2", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  const h1 = serveHttp1({ hostname: "127.0.0.2" });
  const file = `${dir}/targets.jsonl`;
  await Deno.writeTextFile(
    file,
    [
      { name: "h2c", url: `http://127.0.0.2:${h2c.addr.port}/a` },
      { name: "h1", url: `${h1.url}/b` },
    ].map((t) => JSON.stringify(t)).join("\n") + "\n",
  );
  try {
    await f(file, dir);
    if (h1Answers) assert.ok(h1.requests() > 0, "the HTTP/1.1-only server answered requests");
  } finally {
    await h2c.shutdown();
    await h1.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bench --targets --client optimized speaks h2c to one server and HTTP/1.1 to the other", async () => {
  await withTwoServers(async (file, dir) => {
    const r = await runCli(
      ["bench", "--targets", file, "--client", "optimized", "-n", "40", "-c", "2", "--json", "-"],
      { net: NET, writeDirs: [dir] },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const json = JSON.parse(r.stdout);
    assert.equal(json.summary.errors, 0, JSON.stringify(json.error_causes));
    const origins = Object.values(json.protocol.origins as Record<string, string>).sort();
    assert.deepEqual(origins, ["h2", "http/1.1"]);
  });
});

Deno.test("bench --targets --client fast-h2 warns about the origin that speaks HTTP/1.1 only", async () => {
  await withTwoServers(async (file, dir) => {
    const r = await runCli(
      ["bench", "--targets", file, "--client", "fast-h2", "-n", "4", "-c", "1", "--no-csv", "-q"],
      { net: NET, writeDirs: [dir] },
    );
    assert.match(r.stderr, /http:\/\/127\.0\.0\.2:\d+: warning: fast-h2 speaks HTTP\/2 only/);
  }, false);
});

Deno.test("suite --targets: optimized speaks each server's protocol", async () => {
  await withTwoServers(async (file, dir) => {
    const r = await runCli(
      [
        "suite",
        "--targets",
        file,
        "-n",
        "40",
        "-c",
        "2",
        "--confidence",
        "off",
        "--out-dir",
        `${dir}/out`,
      ],
      { net: NET, writeDirs: [dir] },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /errors\s+baseline 0\/40, optimized 0\/40/);
  });
});

Deno.test("suite --targets --ladder has no HTTP/2 rung when one origin lacks HTTP/2, naming it", async () => {
  await withTwoServers(async (file, dir) => {
    const r = await runCli(
      [
        "suite",
        "--targets",
        file,
        "--ladder",
        "-n",
        "20",
        "-c",
        "2",
        "--pool",
        "1",
        "--confidence",
        "off",
        "--out-dir",
        `${dir}/out`,
      ],
      { net: NET, writeDirs: [dir] },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^targets: h2c, h1 \(2 origins\)$/m);
    assert.match(r.stdout, /no HTTP\/2 rung: http:\/\/127\.0\.0\.2:\d+: the server does not speak/);
    assert.doesNotMatch(r.stdout, /^4\. http2/m);
    assert.doesNotMatch(r.stdout, /^causes/m, "no rung failed a request");
  });
});
