/**
 * `suite <url>` with two engines that time their phases: it prints the
 * connections each client opened (by the engines' own count) and splits the
 * difference into connection setup and the rest, in the text and the report.
 */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";
import { serveMock } from "../../mock/server.ts";

Deno.test("suite <url> counts each client's connections and splits the difference by their phases", async () => {
  // h2c, 5 ms RTT, 20 ms of setup per new connection, 2 ms service time.
  const server = serveMock({ port: 0, rttMs: 5, setupRtts: 4, serviceMedianMs: 2, slowRate: 0 });
  const dir = await Deno.makeTempDir({ prefix: "tailgate_suite_phases_" });
  try {
    const r = await runCli([
      "suite",
      `${server.url}/api?id=1`,
      ...[
        "--baseline",
        "fast",
        "--candidate",
        "fast-h2",
        "-n",
        "40",
        "-c",
        "4",
        "--block",
        "20",
        "--confidence",
        "off",
      ],
      ...["--out-dir", dir],
    ], { writeDirs: [dir] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      /^connections opened \(counted by the engines\): fast 4, fast-h2 1$/m,
    );
    assert.match(r.stdout, /^setup {2}P95 \S+ = connection setup \S+ \[\S+, \S+\] \+ the rest /m);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.deepEqual(report.connections_client, { baseline: 4, optimized: 1 });
    assert.deepEqual(report.setup_split.n, { a: 40, b: 40 });
    assert.deepEqual(report.setup_split.metrics.map((m: { metric: string }) => m.metric), [
      "mean",
      "p50",
      "p95",
    ]);
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assert.match(html, /Where the time went/);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
