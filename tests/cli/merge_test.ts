import assert from "node:assert/strict";
import { MergeInterruptedError, MergeRefusedError, mergeRuns } from "../../lib/records/merge.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";
import { CSV_HEADER, recordToCsvLine, type RequestRecord } from "../../lib/record.ts";
import {
  buildRunMeta,
  metaPath,
  readRunMeta,
  type RunMeta,
  writeRunMeta,
} from "../../lib/records/run_meta.ts";
import { shardRequestId } from "../../lib/load/shard.ts";
import { percentile, SummaryBuilder } from "../../lib/stats/summary.ts";
import { runCli } from "../_cli.ts";
import { createRng } from "../../lib/rng.ts";

const CONFIG = { url: "http://127.0.0.1:8080/api", requests: 300, concurrency: 6 };
const T0 = 1_700_000_000_000;

/**
 * Worker `w`'s records, in completion order (not start order), with a
 * latency scale per worker so per-worker percentiles really differ.
 */
function workerRecords(w: number, count: number, n: number, rand: () => number): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let k = 0; k < n; k++) {
    const started = T0 + k * 7.25 + w * 1.5 + Math.round(rand() * 1000) / 1000;
    const latency = Math.round((10 + rand() * 40) * (w + 1) * 1000) / 1000;
    const failed = rand() < 0.05;
    out.push({
      id: shardRequestId(k, w, count),
      scheduledMs: started,
      startedMs: started,
      latencyMs: latency,
      ttfbMs: failed ? null : Math.round(latency * 0.8 * 1000) / 1000,
      status: failed ? 503 : 200,
      bytes: failed ? 0 : 64,
      error: failed ? "http_5xx" : "",
      warmup: k < 2,
      worker: w,
      connectMs: null,
      tlsMs: null,
      firstBodyMs: null,
      conn: null,
      target: "",
    });
  }
  return out.sort((a, b) => (a.startedMs + a.latencyMs) - (b.startedMs + b.latencyMs));
}

async function writeCsv(path: string, records: RequestRecord[]): Promise<void> {
  await Deno.writeTextFile(path, [CSV_HEADER, ...records.map(recordToCsvLine)].join("\n") + "\n");
}

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

function summaryOf(records: RequestRecord[]) {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return { summary: b.summary(), sorted: Array.from(b.sortedLatencies()) };
}

interface Fixture {
  dir: string;
  files: string[];
  records: RequestRecord[][];
  metas: RunMeta[];
}

async function withRun(
  fn: (f: Fixture) => Promise<void>,
  opts: { workers?: number; perWorker?: number; runId?: string } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "merge_test_" });
  try {
    const workers = opts.workers ?? 3;
    const rand = createRng(7).next;
    const files: string[] = [];
    const records: RequestRecord[][] = [];
    const metas: RunMeta[] = [];
    for (let w = 0; w < workers; w++) {
      const recs = workerRecords(w, workers, opts.perWorker ?? 100, rand);
      const path = `${dir}/w${w}.csv`;
      await writeCsv(path, recs);
      const meta = await buildRunMeta(
        { ...CONFIG, out: path },
        { index: w, count: workers },
        opts.runId ?? "run-1",
      );
      await writeRunMeta(path, meta);
      files.push(path);
      records.push(recs);
      metas.push(meta);
    }
    await fn({ dir, files, records, metas });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function assertRefused(
  promise: Promise<unknown>,
  pattern: RegExp,
  out?: string,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof MergeRefusedError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
  if (out) {
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(metaPath(out)), Deno.errors.NotFound);
  }
}

Deno.test("mergeRuns() keeps every row once, sorted by timestamp then request_id", async () => {
  await withRun(async ({ dir, files, records }) => {
    const out = `${dir}/all.csv`;
    const result = await mergeRuns(files, out);
    const merged = await readAll(out);
    const all = records.flat();
    assert.equal(result.rows, all.length);
    assert.equal(merged.length, all.length);
    for (let i = 1; i < merged.length; i++) {
      const a = merged[i - 1]!;
      const b = merged[i]!;
      assert.ok(a.startedMs < b.startedMs || (a.startedMs === b.startedMs && a.id < b.id));
    }
    const byId = (rs: RequestRecord[]) => [...rs].sort((a, b) => a.id - b.id);
    assert.deepEqual(byId(merged), byId(all));
    assert.deepEqual(result.inputs.map((i) => i.rows), records.map((r) => r.length));
    // No spill files are left behind.
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left.sort(), [
      "all.csv",
      "all.csv.meta.json",
      "w0.csv",
      "w0.csv.meta.json",
      "w1.csv",
      "w1.csv.meta.json",
      "w2.csv",
      "w2.csv.meta.json",
    ]);
  });
});

Deno.test("mergeRuns() gives the same stats as one run holding the same records", async () => {
  await withRun(async ({ dir, files, records }) => {
    const out = `${dir}/all.csv`;
    await mergeRuns(files, out);
    const single = summaryOf(records.flat());
    const merged = summaryOf(await readAll(out));
    // Identical, except that the mean is a floating-point sum and so depends
    // on the order rows are added in (last-bit differences only).
    const { mean_ms: mm, ...mergedRest } = merged.summary;
    const { mean_ms: sm, ...singleRest } = single.summary;
    assert.deepEqual(mergedRest, singleRest);
    assert.ok(Math.abs(mm! - sm!) <= 1e-9 * sm!, `${mm} vs ${sm}`);
    assert.deepEqual(merged.sorted, single.sorted);
    // The union's P95 is not the average of the workers' P95s (the data are
    // built so they differ), and the merged file reports the union's.
    const perWorker = records.map((r) => summaryOf(r).summary.p95_ms!);
    const averaged = perWorker.reduce((a, b) => a + b, 0) / perWorker.length;
    assert.equal(merged.summary.p95_ms, percentile(single.sorted, 95));
    assert.notEqual(merged.summary.p95_ms, averaged);
  });
});

Deno.test("report, compare and the SLA gate read a merged file as a single-run file", async () => {
  await withRun(async ({ dir, files, records }) => {
    const out = `${dir}/all.csv`;
    const cli = await runCli(["merge", ...files, "-o", out], { writeDirs: [dir] });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /merged 300 rows from 3 file\(s\) .*run run-1, workers 0, 1, 2 of 3/);
    assert.match(cli.stdout, /first requests span [\d.]+ ms across files/);
    const singlePath = `${dir}/single.csv`;
    await writeCsv(singlePath, records.flat());
    const [a, b] = await Promise.all([
      runCli(["report", out, "--json"]),
      runCli(["report", singlePath, "--json"]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    const { mean_ms: am, ...aRest } = JSON.parse(a.stdout);
    const { mean_ms: bm, ...bRest } = JSON.parse(b.stdout);
    assert.deepEqual(aRest, bRest);
    assert.ok(Math.abs(am - bm) <= 1e-9 * bm, `${am} vs ${bm}`);
    const p95 = JSON.parse(a.stdout).p95_ms as number;
    // The point-estimate gate (--confidence off) is exact at the boundary.
    const pass = await runCli(["report", out, "--sla", `p95<=${p95}ms`, "--confidence", "off"]);
    const fail = await runCli([
      "report",
      out,
      "--sla",
      `p95<=${p95 - 0.01}ms`,
      "--confidence",
      "off",
    ]);
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    assert.equal(fail.code, 1, fail.stdout + fail.stderr);
    const cmp = await runCli(["compare", singlePath, out, "--json"]);
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.match(cmp.stdout, /"p95_ms"/);
  });
});

Deno.test("mergeRuns() writes a merged sidecar listing the workers", async () => {
  await withRun(async ({ dir, files, metas }) => {
    const out = `${dir}/all.csv`;
    const result = await mergeRuns(files, out);
    const meta = await readRunMeta(out);
    assert.deepEqual(meta, result.meta);
    assert.equal(meta!.run_id, "run-1");
    assert.equal(meta!.config_digest, metas[0]!.config_digest);
    assert.equal(meta!.workers, 3);
    assert.deepEqual(meta!.merged!.workers, [0, 1, 2]);
    assert.deepEqual(meta!.merged!.files.map((f) => f.rows), [100, 100, 100]);
    assert.equal(meta!.started_at, metas.map((m) => m.started_at).sort()[0]);
  });
});

Deno.test("mergeRuns() of a merged part with the rest equals the direct merge", async () => {
  await withRun(async ({ dir, files }) => {
    await mergeRuns([files[0]!, files[2]!], `${dir}/part.csv`, { partial: true });
    await mergeRuns([`${dir}/part.csv`, files[1]!], `${dir}/two_step.csv`);
    await mergeRuns(files, `${dir}/direct.csv`);
    assert.equal(
      await Deno.readTextFile(`${dir}/two_step.csv`),
      await Deno.readTextFile(`${dir}/direct.csv`),
    );
    assert.deepEqual((await readRunMeta(`${dir}/two_step.csv`))!.merged!.workers, [0, 1, 2]);
  });
});

Deno.test("mergeRuns() handles sorted and empty inputs", async () => {
  await withRun(async ({ dir, files, records, metas }) => {
    // Worker 1 already sorted by start time; worker 2 sent nothing.
    await writeCsv(files[1]!, [...records[1]!].sort((a, b) => a.startedMs - b.startedMs));
    await writeCsv(files[2]!, []);
    const out = `${dir}/all.csv`;
    const result = await mergeRuns(files, out);
    assert.equal(result.rows, 200);
    assert.deepEqual(result.inputs.map((i) => i.firstMs === null), [false, false, true]);
    assert.equal((await readAll(out)).length, 200);
    assert.equal(metas.length, 3);
  });
});

Deno.test("mergeRuns() refuses files from different runs or configurations", async () => {
  await withRun(async ({ dir, files }) => {
    const out = `${dir}/all.csv`;
    const other = await buildRunMeta(CONFIG, { index: 2, count: 3 }, "run-2");
    await writeRunMeta(files[2]!, other);
    await assertRefused(mergeRuns(files, out), /different runs \(run_id "run-2" vs "run-1"\)/, out);
    const changed = await buildRunMeta(
      { ...CONFIG, concurrency: 7 },
      { index: 2, count: 3 },
      "run-1",
    );
    await writeRunMeta(files[2]!, changed);
    await assertRefused(mergeRuns(files, out), /different configuration/, out);
    const moreWorkers = await buildRunMeta(CONFIG, { index: 2, count: 4 }, "run-1");
    await writeRunMeta(files[2]!, moreWorkers);
    await assertRefused(mergeRuns(files, out), /3 vs 4 workers|4 vs 3 workers/, out);
  });
});

Deno.test("mergeRuns() refuses a file without a sidecar unless forced", async () => {
  await withRun(async ({ dir, files }) => {
    const out = `${dir}/all.csv`;
    await Deno.remove(metaPath(files[1]!));
    await assertRefused(mergeRuns(files, out), /no sidecar .*w1\.csv\.meta\.json.*--force/, out);
    const result = await mergeRuns(files, out, { force: true });
    assert.equal(result.rows, 300);
    assert.match(result.notes.join("\n"), /forced: 1 file\(s\) without a sidecar/);
  });
});

Deno.test("mergeRuns() refuses a missing or repeated worker", async () => {
  await withRun(async ({ dir, files }) => {
    const out = `${dir}/all.csv`;
    await assertRefused(
      mergeRuns([files[0]!, files[2]!], out),
      /worker 1 of 3 is missing.*--partial/,
      out,
    );
    const copy = `${dir}/w0_copy.csv`;
    await Deno.copyFile(files[0]!, copy);
    await Deno.copyFile(metaPath(files[0]!), metaPath(copy));
    await assertRefused(mergeRuns([...files, copy], out), /worker 0 of 3 appears in both/, out);
    await assertRefused(mergeRuns([files[0]!, files[0]!], out), /given twice/, out);
    await assertRefused(mergeRuns(files, files[0]!), /also an input/);
    const partial = await mergeRuns([files[0]!, files[2]!], out, { partial: true });
    assert.equal(partial.rows, 200);
    assert.match(partial.notes.join("\n"), /partial: workers 1 of 3 are missing/);
  });
});

Deno.test("mergeRuns() refuses rows that contradict the sidecar or repeat a request_id", async () => {
  await withRun(async ({ dir, files, records }) => {
    const out = `${dir}/all.csv`;
    const wrongWorker = records[1]!.map((r, i) => (i === 5 ? { ...r, worker: 0 } : r));
    await writeCsv(files[1]!, wrongWorker);
    await assertRefused(
      mergeRuns(files, out),
      /row 6 has worker 0, but its sidecar says it holds worker 1 of 3/,
      out,
    );
    const wrongId = records[1]!.map((r, i) => (i === 5 ? { ...r, id: 3 } : r));
    await writeCsv(files[1]!, wrongId);
    await assertRefused(
      mergeRuns(files, out),
      /request_id 3, which is not an id of worker 1 of 3/,
      out,
    );
    const dup = [...records[1]!, records[1]![0]!];
    await writeCsv(files[1]!, dup);
    await assertRefused(mergeRuns(files, out), /request_id \d+ appears more than once/, out);
    // Without sidecars (forced), uniqueness is checked across files.
    await writeCsv(files[1]!, records[1]!);
    for (const f of files) await Deno.remove(metaPath(f));
    await writeCsv(files[2]!, [...records[2]!, { ...records[0]![0]!, worker: 2 }]);
    await assertRefused(mergeRuns(files, out, { force: true }), /also appears in .*w0\.csv/, out);
  });
});

Deno.test("tailgate merge exits 2 with one line on bad input", async () => {
  await withRun(async ({ dir, files }) => {
    const out = `${dir}/all.csv`;
    const cases: [string[], RegExp][] = [
      [[...files], /needs an output/],
      [["-o", out], /needs input CSV files/],
      [[files[0]!, files[2]!, "-o", out], /worker 1 of 3 is missing/],
      [[...files, `${dir}/nope.csv`, "-o", out], /Cannot read an input/],
      [[...files, "-o", out, "--bogus"], /Unknown option --bogus/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(["merge", ...args], { writeDirs: [dir] });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    const help = await runCli(["merge", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: tailgate merge/);
  });
});

/** What the merge has always written: the header, then every row sorted by (start, id). */
function referenceMerge(records: RequestRecord[]): string {
  const sorted = [...records].sort((a, b) => (a.startedMs - b.startedMs) || (a.id - b.id));
  return [CSV_HEADER, ...sorted.map(recordToCsvLine)].join("\n") + "\n";
}

Deno.test("mergeRuns() output is byte-identical to one sort of all rows, whatever the run size", async () => {
  await withRun(async ({ dir, files, records }) => {
    // Worker 1's file: in order for its first half, then in completion order (a sorted prefix
    // read from the input, then spilled runs); worker 2's file fully sorted (no spill).
    const byStart = (rs: RequestRecord[]) => [...rs].sort((a, b) => a.startedMs - b.startedMs);
    const prefix = byStart(records[1]!).slice(0, 150);
    await writeCsv(files[1]!, [...prefix, ...records[1]!.filter((r) => !prefix.includes(r))]);
    await writeCsv(files[2]!, byStart(records[2]!));
    const expected = referenceMerge(records.flat());
    for (const runRows of [1, 7, 64, 100_000]) {
      const out = `${dir}/all-${runRows}.csv`;
      const result = await mergeRuns(files, out, { runRows });
      assert.equal(await Deno.readTextFile(out), expected, `runRows ${runRows}`);
      assert.equal(result.rows, records.flat().length);
    }
    const left = [];
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".tmp")) left.push(e.name);
    assert.deepEqual(left, [], "no spill file is left behind");
  }, { perWorker: 300 });
});

Deno.test("mergeRuns() stops on its signal, removes its spills and writes nothing", async () => {
  await withRun(async ({ dir, files }) => {
    const out = `${dir}/all.csv`;
    const stop = new AbortController();
    let reads = 0;
    // Abort once the first spill exists: the merge is midway.
    const watch = setInterval(() => {
      reads++;
      for (const e of Deno.readDirSync(dir)) if (e.name.includes(".sort-")) stop.abort();
      if (reads > 500) stop.abort();
    }, 1);
    try {
      await assert.rejects(
        mergeRuns(files, out, { runRows: 50, signal: stop.signal }),
        MergeInterruptedError,
      );
    } finally {
      clearInterval(watch);
    }
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.filter((n) => !/^w\d\.csv(\.meta\.json)?$/.test(n)), []);
  }, { perWorker: 20_000 });
});

Deno.test("tailgate merge exits 130 on SIGTERM and SIGINT, leaving no temporary file", async () => {
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    await withRun(async ({ dir, files }) => {
      const out = `${dir}/all.csv`;
      await Deno.writeTextFile(out, "previous output\n");
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--allow-read",
          `--allow-write=${dir}`,
          new URL("../../main.ts", import.meta.url).pathname,
          "merge",
          ...files,
          "-o",
          out,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      // Progress, not a fixed sleep: wait for the first spill file (bounded).
      const end = Date.now() + 60_000;
      const spilled = () => [...Deno.readDirSync(dir)].some((e) => e.name.includes(".sort-"));
      while (!spilled() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.ok(spilled(), "the merge started spilling");
      child.kill(sig);
      const r = await child.output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 130, stderr);
      assert.match(stderr, new RegExp(`${sig}: stopped; .* was not written`));
      assert.equal(await Deno.readTextFile(out), "previous output\n", "the output is untouched");
      const names = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.deepEqual(names.filter((n) => n.endsWith(".tmp")), [], names.join(" "));
    }, { workers: 2, perWorker: 400_000 });
  }
});

Deno.test("tailgate merge sorts 2 × 300k unsorted rows inside a 48 MB V8 heap", async () => {
  // A cap, not a timing: the whole-file sort needed about 1 KB a row of heap and dies here.
  const rows = 300_000;
  await withRun(async ({ dir, files, metas }) => {
    for (const [w, path] of files.entries()) {
      using file = await Deno.open(path, { write: true, truncate: true });
      const enc = new TextEncoder();
      let chunk = [CSV_HEADER];
      for (let k = 0; k < rows; k++) {
        // Completion order: each pair of requests finishes in reverse start order.
        const j = k ^ 1;
        const started = T0 + j * 0.5 + w * 0.25;
        chunk.push(recordToCsvLine({
          id: shardRequestId(j, w, 2),
          scheduledMs: started,
          startedMs: started,
          latencyMs: 10 + (j % 13),
          ttfbMs: 9,
          status: 200,
          bytes: 64,
          error: "",
          warmup: false,
          worker: w,
          connectMs: null,
          tlsMs: null,
          firstBodyMs: 9.5,
          conn: j % 20,
          target: "",
        }));
        if (chunk.length >= 10_000 || k === rows - 1) {
          await file.write(enc.encode(chunk.join("\n") + "\n"));
          chunk = [];
        }
      }
      await writeRunMeta(path, metas[w]!);
    }
    const out = `${dir}/all.csv`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--v8-flags=--max-old-space-size=48",
        "--allow-read",
        `--allow-write=${dir}`,
        new URL("../../main.ts", import.meta.url).pathname,
        "merge",
        ...files,
        "-o",
        out,
        "-q",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const r = await child.output();
    clearTimeout(timer);
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr).slice(0, 400));
    let n = 0;
    let prev = -Infinity;
    for await (const rec of readRecordsFile(out)) {
      assert.ok(rec.startedMs >= prev, `row ${n + 1} is in start order`);
      prev = rec.startedMs;
      n++;
    }
    assert.equal(n, 2 * rows);
  }, { workers: 2, perWorker: 1 });
});
