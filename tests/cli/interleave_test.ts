/** `suite --interleave`: alternating blocks against one mock, with honest per-profile stats. */
import assert from "node:assert/strict";
import { FAST_MOCK_FLAGS, runCli } from "../_cli.ts";
import { readTailgateCsv } from "../../lib/records/formats/tailgate.ts";
import type { RequestRecord } from "../../lib/record.ts";

const BLOCK = 20;
const N = 120;

Deno.test("suite --interleave runs ABAB blocks with identical requests per block", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_interleave_" });
  try {
    const r = await runCli([
      "suite",
      "--interleave",
      "--block",
      String(BLOCK),
      "-n",
      String(N),
      "-c",
      "4",
      "--out-dir",
      dir,
      "--junit",
      `${dir}/verdicts.xml`,
      "--verbose",
      ...FAST_MOCK_FLAGS,
    ], { writeDirs: [dir] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /interleaved: 6 blocks of 20 requests/);
    assert.match(r.stdout, /requests: identical \(server-side digest, per block\)/);
    assert.match(r.stdout, /== summary \(interleaved, blocks of 20\) ==/);
    assert.match(r.stdout, /verdict \(\* above\): /);

    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.config.mode, "interleaved");
    assert.equal(report.config.block, BLOCK);
    assert.deepEqual(report.request_consistency.blocks_differing, []);
    for (const p of ["baseline", "optimized"]) {
      const mock = report.mock[p];
      assert.equal(mock.blocks, 6);
      assert.equal(mock.requests.total, N, `${p}: the mock saw each block's requests once`);
      assert.equal(mock.digest.count, N);
    }
    assert.deepEqual(report.mock.baseline.digest, report.mock.optimized.digest);
    // The optimized client keeps its one HTTP/2 connection open across all blocks.
    assert.equal(report.mock.optimized.connections.opened, 1);
    assert.ok(report.mock.baseline.connections.opened >= 1);
    assert.ok(report.mock.baseline.connections.opened <= 4 * 6);
    assert.equal(typeof report.bootstrap.verdict, "string");
    assert.equal(report.attribution.candidate.connections_opened, 1);

    // The CSVs: each profile sent ids 0..N-1, and the blocks alternate in time without overlap.
    const runs: Record<string, RequestRecord[]> = {};
    for (const p of ["baseline", "optimized"]) {
      runs[p] = readTailgateCsv(await Deno.readTextFile(`${dir}/latency_${p}.csv`));
      assert.deepEqual(
        runs[p]!.map((x) => x.id).sort((a, b) => a - b),
        Array.from({ length: N }, (_, i) => i),
      );
    }
    const span = (p: string, j: number) => {
      const rs = runs[p]!.filter((x) => Math.floor(x.id / BLOCK) === j);
      return {
        start: Math.min(...rs.map((x) => x.startedMs)),
        end: Math.max(...rs.map((x) => x.startedMs + x.latencyMs)),
      };
    };
    for (let j = 0; j < 6; j++) {
      const a = span("baseline", j);
      const b = span("optimized", j);
      // Timestamps are rounded to µs in the CSV: allow 1 µs.
      assert.ok(a.end <= b.start + 0.001, `block ${j}: baseline finished before optimized began`);
      if (j + 1 < 6) {
        assert.ok(b.end <= span("baseline", j + 1).start + 0.001, `block ${j}: B before next A`);
      }
    }

    const xml = await Deno.readTextFile(`${dir}/verdicts.xml`);
    assert.equal(xml.match(/<testcase /g)?.length, 2, "one SLA rule + one comparison");
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assert.match(html, /interleaved/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("suite --block must be a positive whole number", async () => {
  const r = await runCli(["suite", "--interleave", "--block", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid value for --block/);
});
