/**
 * `bench --workers N` (threads) against the shard path (N `--shard`
 * processes merged with `tailgate merge`): the same totals, ids and worker
 * column, and a summary whose percentiles are exactly those of the union of
 * its rows; Ctrl-C keeps every worker's rows and exits 130.
 */
import assert from "node:assert/strict";
import { serveMock } from "../../mock/server.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";
import { readRunMeta } from "../../lib/records/run_meta.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { SummaryBuilder } from "../../lib/stats/summary.ts";
import { runCli } from "../_cli.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

/** The summary of a CSV's rows, percentiles over their union. */
function summaryOf(rows: RequestRecord[]) {
  const b = new SummaryBuilder();
  for (const r of rows) b.add(r);
  return b.summary();
}

const PCTS = ["min_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms"] as const;

Deno.test("bench --workers 2 gives the totals, ids and merged percentiles of two --shard processes merged", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "workers_test_" });
  const server = serveMock({ port: 0, rttMs: 0, serviceMedianMs: 1, slowRate: 0, setupRtts: 0 });
  try {
    const url = new URL("/api", server.url).href;
    const common = ["-n", "41", "-c", "5", "--timeout", "5s", "--quiet", "--run-id", "wt"];
    const threads = await runCli(
      [
        "bench",
        url,
        ...common,
        "--workers",
        "2",
        "--out",
        `${dir}/w.csv`,
        "--json",
        `${dir}/w.json`,
      ],
      { writeDirs: [dir] },
    );
    assert.equal(threads.code, 0, threads.stderr);
    const shards = await Promise.all(
      [0, 1].map((i) =>
        runCli(["bench", url, ...common, "--shard", `${i}/2`, "--out", `${dir}/s${i}.csv`], {
          writeDirs: [dir],
        })
      ),
    );
    for (const s of shards) assert.equal(s.code, 0, s.stderr);
    const merged = await runCli(
      ["merge", `${dir}/s0.csv`, `${dir}/s1.csv`, "-o", `${dir}/all.csv`],
      { writeDirs: [dir] },
    );
    assert.equal(merged.code, 0, merged.stderr);

    const w = await readAll(`${dir}/w.csv`);
    const s = await readAll(`${dir}/all.csv`);
    // Totals, ids and the worker column: the same requests, split the same way.
    assert.equal(w.length, 41);
    assert.equal(s.length, 41);
    const ids = (rows: RequestRecord[]) => rows.map((r) => r.id).sort((a, b) => a - b);
    assert.deepEqual(ids(w), ids(s));
    const byWorker = (rows: RequestRecord[]) =>
      rows.map((r) => `${r.worker}:${r.id}`).sort().join(" ");
    assert.equal(byWorker(w), byWorker(s));
    assert.deepEqual(
      [0, 1].map((k) => w.filter((r) => r.worker === k).length),
      [21, 20],
    );
    // The threads' summary is exactly the union of their rows, as merge's is of the shards'.
    const doc = JSON.parse(await Deno.readTextFile(`${dir}/w.json`));
    const fromRows = summaryOf(w);
    assert.equal(doc.summary.count, 41);
    for (const k of PCTS) assert.equal(doc.summary[k], fromRows[k], k);
    const reportOf = async (csv: string) =>
      JSON.parse((await runCli(["report", csv, "--json"])).stdout);
    const reported = await reportOf(`${dir}/w.csv`);
    for (const k of PCTS) assert.equal(reported[k], doc.summary[k], k);
    const mergedSummary = await reportOf(`${dir}/all.csv`);
    for (const k of PCTS) assert.equal(mergedSummary[k], summaryOf(s)[k], k);
    // The sidecar names the run as two workers, with the shards' digest.
    const meta = await readRunMeta(`${dir}/w.csv`);
    const shardMeta = await readRunMeta(`${dir}/s0.csv`);
    assert.equal(meta?.workers, 2);
    assert.deepEqual(meta?.merged?.workers, [0, 1]);
    assert.equal(meta?.config_digest, shardMeta?.config_digest);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --workers 2 interrupted keeps every worker's rows and exits 130", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "workers_test_" });
  const server = serveMock({ port: 0, rttMs: 0, serviceMedianMs: 2, slowRate: 0, setupRtts: 0 });
  try {
    const url = new URL("/api", server.url).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1,localhost",
        "--allow-read",
        `--allow-write=${dir}`,
        MAIN,
        "bench",
        url,
        "-d",
        "30s",
        "-c",
        "4",
        "--workers",
        "2",
        "--quiet",
        "--out",
        `${dir}/w.csv`,
        "--json",
        `${dir}/w.json`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    // Let both threads send for a while (bounded), then Ctrl-C.
    const end = Date.now() + 15_000;
    let rows = 0;
    while (Date.now() < end && rows < 200) {
      await new Promise((r) => setTimeout(r, 200));
      rows = (await Deno.readTextFile(`${dir}/w.csv`).catch(() => "")).split("\n").length;
    }
    child.kill("SIGINT");
    const out = await child.output();
    assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
    const w = await readAll(`${dir}/w.csv`);
    assert.ok(w.length > 0);
    assert.ok(w.some((r) => r.worker === 0) && w.some((r) => r.worker === 1));
    const doc = JSON.parse(await Deno.readTextFile(`${dir}/w.json`));
    assert.equal(doc.summary.count, w.filter((r) => !r.warmup).length);
    assert.equal(new Set(w.map((r) => r.id)).size, w.length);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --workers refuses a thread with no share, and --shard beside it, before sending", async () => {
  const few = await runCli(["bench", "http://127.0.0.1:9/", "-c", "2", "--workers", "3"]);
  assert.equal(few.code, 2);
  assert.match(few.stderr, /--workers 3 \(thread 2 is --shard 2\/3\): .*-c must be at least/);
  assert.equal(few.stderr.trim().split("\n").length, 1);
  const both = await runCli(["bench", "http://127.0.0.1:9/", "--workers", "2", "--shard", "0/2"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--workers and --shard do not combine/);
});

Deno.test("bench --workers 2 --targets gives each request the target one thread gives it", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "workers_test_" });
  const server = serveMock({ port: 0, rttMs: 0, serviceMedianMs: 1, slowRate: 0, setupRtts: 0 });
  try {
    const base = server.url.replace(/\/$/, "");
    await Deno.writeTextFile(
      `${dir}/t.jsonl`,
      [
        JSON.stringify({ name: "api", method: "GET", url: `${base}/api`, weight: 2 }),
        JSON.stringify({ name: "health", method: "GET", url: `${base}/health` }),
      ].join("\n") + "\n",
    );
    const common = ["--targets", `${dir}/t.jsonl`, "-n", "30", "-c", "4", "--quiet"];
    const run = async (name: string, extra: string[]) => {
      const r = await runCli(
        [
          "bench",
          ...common,
          ...extra,
          "--out",
          `${dir}/${name}.csv`,
          "--json",
          `${dir}/${name}.json`,
        ],
        { writeDirs: [dir] },
      );
      assert.equal(r.code, 0, r.stderr);
      const rows = (await readAll(`${dir}/${name}.csv`)).sort((a, b) => a.id - b.id);
      const doc = JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`));
      return { rows, doc };
    };
    const one = await run("one", []);
    const two = await run("two", ["--workers", "2"]);
    // The same id carries the same target, whichever thread sent it.
    assert.deepEqual(
      two.rows.map((r) => `${r.id}:${r.target}`),
      one.rows.map((r) => `${r.id}:${r.target}`),
    );
    assert.ok(two.rows.some((r) => r.worker === 1));
    const counts = (doc: { targets: { name: string; summary: { count: number } }[] }) =>
      Object.fromEntries(doc.targets.map((t) => [t.name, t.summary.count]));
    assert.deepEqual(counts(two.doc), { api: 20, health: 10 });
    assert.deepEqual(counts(two.doc), counts(one.doc));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
