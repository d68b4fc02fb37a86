/**
 * Ctrl-C and SIGTERM leave outputs whole: `compare` exits 130 with its
 * --html and --junit as they were, and `suite` (also `--ladder`) keeps what
 * it measured, writes every output complete and marked PARTIAL (never a
 * mix with the previous run's files), and exits 130.
 */
import assert from "node:assert/strict";
import { claimOutput } from "../../lib/cli/_files.ts";
import { CSV_HEADER } from "../../lib/record.ts";
import { FAST_MOCK, serveStallMock } from "../_stall_mock.ts";
import { withTempDir } from "../_temp_dir.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const SIGNALS = ["SIGTERM", "SIGINT"] as const;

function spawn(args: string[], writeDir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1,localhost",
      "--allow-read",
      `--allow-write=${writeDir}`,
      "--allow-env=NO_COLOR",
      MAIN,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function finish(child: Deno.ChildProcess, limitMs = 60_000) {
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const withDir = (fn: (dir: string) => Promise<void>) =>
  withTempDir(fn, { dir: "/tmp", prefix: "interrupted_" });

function rows(n: number, offset: number): string {
  const lines = [CSV_HEADER.split(",").slice(0, 4).join(",")];
  for (let i = 0; i < n; i++) lines.push(`${i},${1764150000000 + i * 10},${offset + (i % 7)},200`);
  return lines.join("\n") + "\n";
}

Deno.test("claimOutput() checks a report path without truncating the file there", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/report.html`, "previous report\n");
    await claimOutput(`${dir}/report.html`, "--html");
    assert.equal(await Deno.readTextFile(`${dir}/report.html`), "previous report\n");
    await claimOutput(`${dir}/new.html`, "--html");
    await assert.rejects(Deno.stat(`${dir}/new.html`), Deno.errors.NotFound, "leaves nothing");
  });
});

for (const sig of SIGNALS) {
  Deno.test(`compare on ${sig} exits 130 and leaves --html and --junit as they were`, async () => {
    await withDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/a.csv`, rows(200, 10));
      // Run B comes through a FIFO the test holds open: compare is stopped midway, for sure.
      const fifo = `${dir}/b.csv`;
      const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(mk.success, "mkfifo");
      for (const f of ["report.html", "verdict.xml"]) {
        await Deno.writeTextFile(`${dir}/${f}`, `previous ${f}\n`);
      }
      const child = spawn([
        "compare",
        `${dir}/a.csv`,
        fifo,
        "--html",
        `${dir}/report.html`,
        "--junit",
        `${dir}/verdict.xml`,
      ], dir);
      // Opening the FIFO for writing returns once compare has opened it to read: progress.
      const writer = await Deno.open(fifo, { write: true });
      await writer.write(new TextEncoder().encode(rows(50, 12)));
      child.kill(sig);
      const r = await finish(child);
      writer.close();
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, new RegExp(`tailgate compare: ${sig}: stopped`));
      for (const f of ["report.html", "verdict.xml"]) {
        assert.equal(await Deno.readTextFile(`${dir}/${f}`), `previous ${f}\n`, f);
      }
      const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(left, ["a.csv", "b.csv", "report.html", "verdict.xml"]);
    });
  });
}

const MOCK = ["--rtt-ms", "1", "--setup-rtts", "1", "--service-median-ms", "2", "--slow-rate", "0"];
const SUITE_SET = [
  "comparison_report.json",
  "latency_baseline.csv",
  "latency_baseline.csv.meta.json",
  "latency_optimized.csv",
  "latency_optimized.csv.meta.json",
  "report.html",
];

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Data rows of a CSV (the header and blank lines not counted). */
async function csvRows(path: string): Promise<number> {
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "").length - 1;
}

/** Bytes of rows written to the CSVs in the run's stage so far: progress, read from outside. */
function stagedBytes(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isDirectory || !e.name.startsWith(".")) continue;
    for (const f of Deno.readDirSync(`${dir}/${e.name}`)) {
      if (f.name.endsWith(".csv")) total += Deno.statSync(`${dir}/${e.name}/${f.name}`).size;
    }
  }
  return total;
}

/** Polls `ready` every 20 ms until it holds (bounded): the signal goes after real progress. */
async function until(ready: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A finished run (the "previous run" of the directory), then an interrupted one. */
async function interruptedRun(dir: string, args: string[], sig: Deno.Signal) {
  const first = await finish(spawn(["suite", ...args, "--out-dir", dir, "-n", "60", "-q"], dir));
  assert.ok([0, 1, 3].includes(first.code), first.stderr);
  const before = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
  const child = spawn(["suite", ...args, "--out-dir", dir, "-n", "1000000", "-c", "4"], dir);
  // Rows reach the staged CSVs in 64 KiB flushes: wait for the first one (a few hundred rows).
  await until(() => stagedBytes(dir) > 70_000, "rows in the staged CSVs");
  child.kill(sig);
  const r = await finish(child);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stdout, new RegExp(`PARTIAL \\(interrupted by ${sig}\\)`));
  assert.match(r.stderr, new RegExp(`${sig}: stopping`));
  const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
  assert.equal(report.partial, true);
  assert.equal(report.interrupted_by, sig);
  assert.match(await Deno.readTextFile(`${dir}/report.html`), /PARTIAL \(interrupted by/);
  // Stopped between the clients' blocks, they did not send the same requests: no A/B verdict.
  if (/^requests: DIFFERENT/m.test(r.stdout)) {
    assert.match(r.stdout, /^A\/B {2}no verdict: the two clients did not send identical requests/m);
  } else assert.doesNotMatch(r.stdout, /^A\/B {2}no verdict/m);
  return { before, report, stdout: r.stdout };
}

Deno.test("suite on SIGTERM keeps what it measured, replaces the whole previous set, exits 130", async () => {
  await withDir(async (dir) => {
    // The case: the mock, sequential; the signal lands during the baseline run.
    const { before, report } = await interruptedRun(dir, MOCK, "SIGTERM");
    assert.deepEqual(listing(dir), SUITE_SET, "the set, and no stage left behind");
    assert.notEqual(report.run_id, before.run_id);
    for (const role of ["baseline", "optimized"] as const) {
      const csv = `${dir}/latency_${role}.csv`;
      assert.equal(await csvRows(csv), report[role].count, `${role}: the CSV is this run's`);
      const meta = JSON.parse(await Deno.readTextFile(`${csv}.meta.json`));
      assert.equal(meta.run_id, `${report.run_id}-${role}`, `${role}: the sidecar is this run's`);
      assert.equal(meta.config.partial, true);
    }
    assert.ok(report.baseline.count > 60, "more rows than the previous run had");
  });
});

Deno.test("suite <url> on SIGINT (interleaved) writes a complete PARTIAL set and exits 130", async () => {
  const server = serveStallMock(FAST_MOCK);
  try {
    await withDir(async (dir) => {
      const { before, report } = await interruptedRun(
        dir,
        [`${server.url}/api`, "--timeout", "5s"],
        "SIGINT",
      );
      assert.deepEqual(listing(dir), SUITE_SET);
      assert.notEqual(report.run_id, before.run_id);
      assert.ok(report.baseline.count > 0 && report.optimized.count > 0, "both clients ran");
      for (const role of ["baseline", "optimized"] as const) {
        assert.equal(await csvRows(`${dir}/latency_${role}.csv`), report[role].count, role);
      }
    });
  } finally {
    await server.close();
  }
});

for (const sig of SIGNALS) {
  Deno.test(`suite --ladder on ${sig} replaces a previous suite's files with a PARTIAL ladder set`, async () => {
    await withDir(async (dir) => {
      // The previous run in this directory is a plain suite; the interrupted one is a ladder.
      const first = await finish(
        spawn(["suite", ...MOCK, "--out-dir", dir, "-n", "40", "-q"], dir),
      );
      assert.ok([0, 1, 3].includes(first.code), first.stderr);
      const child = spawn([
        "suite",
        "--ladder",
        ...MOCK,
        "--out-dir",
        dir,
        "-n",
        "1000000",
        "-c",
        "4",
        "--pool",
        "2",
      ], dir);
      await until(() => stagedBytes(dir) > 70_000, "rows in the staged CSVs");
      child.kill(sig);
      const r = await finish(child);
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stdout, new RegExp(`PARTIAL \\(interrupted by ${sig}\\)`));
      const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
      assert.equal(report.partial, true);
      assert.equal(report.interrupted_by, sig);
      const rungs: { name: string; count: number }[] = report.ladder;
      assert.deepEqual(
        listing(dir),
        [
          "comparison_report.json",
          ...rungs.map((x) => `latency_${x.name}.csv`),
          "report.html",
        ].sort(),
        "the ladder's set only: the previous suite's CSVs and sidecars are gone",
      );
      for (const rung of rungs) {
        assert.equal(await csvRows(`${dir}/latency_${rung.name}.csv`), rung.count, rung.name);
      }
      assert.match(await Deno.readTextFile(`${dir}/report.html`), /PARTIAL \(interrupted by/);
    });
  });
}
