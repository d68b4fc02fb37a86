/**
 * The open model's arrival processes end to end (`bench --arrival poisson`,
 * `--stages`, two Poisson shards merged), checked on the `scheduled_ms`
 * column of the CSVs the real CLI writes, and the bad input that must stop
 * a run before anything is sent. Runs are 2 s long here; the 10 s figures
 * of docs/bench.md come from `deno task bench:arrivals`.
 */
import assert from "node:assert/strict";
import { serveMock } from "../../mock/server.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { readRunMeta } from "../../lib/records/run_meta.ts";
import { createArrivals, rateProfile } from "../../lib/load/arrivals.ts";
import { ksTwoSample } from "../../lib/stats/ks.ts";
import { binCounts, countWithin, gapFit, scheduleGaps } from "../../lib/stats/schedule_fit.ts";
import { runCli } from "../_cli.ts";

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

async function withMock(f: (url: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "arrivals_cli_test_" });
  const server = serveMock({ port: 0, rttMs: 0, serviceMedianMs: 1, slowRate: 0, setupRtts: 0 });
  try {
    await f(new URL("/api", server.url).href, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bad arrival flags exit 2 with one line and send nothing", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })();
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/api`;
  try {
    for (
      const [args, message] of [
        [["--stages", "10s:-5/s"], /rate must be 0 or more/],
        [["--stages", "0s:10/s"], /duration must be greater than zero/],
        [["--stages", "10s"], /write DURATION:RATE/],
        [["--stages", "10s:100/s,"], /write DURATION:RATE/],
        [["--arrival", "poisson"], /--arrival poisson needs a rate: add --rate R .* or --stages/],
        [["--arrival", "poisson", "-n", "10"], /--arrival poisson needs a rate/],
        [
          ["--arrival", "burst", "--rate", "10", "-n", "5"],
          /Unknown --arrival "burst": use constant or poisson/,
        ],
        [["--stages", "10s:100/s", "-c", "4"], /Cannot combine --stages with -c/],
        [["--stages", "10s:100/s", "-d", "5s"], /Cannot combine --stages with -d.*\(10s\)/],
        [["--stages", "10s:0/s"], /nothing would be sent/],
        [["--stages", "2s:10/s", "--warmup", "2s"], /takes the whole ramp/],
        [
          ["--rate", "10", "-n", "5", "--seed", "1.5"],
          /--seed: "1.5" is not a non-negative whole number/,
        ],
        [["--rate", "10", "-n", "5", "--seed", "4294967296"], /above 4294967295/],
      ] as const
    ) {
      const r = await runCli(["bench", url, ...args, "--no-csv", "-q"]);
      const what = args.join(" ");
      assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
      assert.equal(r.stdout, "", what);
      assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, `${what}: no stack trace`);
    }
    assert.equal(accepted, 0, "no connection was made");
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
});

Deno.test("bench --arrival poisson --rate 500 schedules exponential gaps drawn from --seed", async () => {
  await withMock(async (url, dir) => {
    const csv = `${dir}/poisson.csv`;
    const args = ["--arrival", "poisson", "--rate", "500", "-d", "2s", "--seed", "7"];
    const r = await runCli(["bench", url, ...args, "--out", csv, "-q"], { writeDirs: [dir] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /arrivals +poisson \(seed 7\)/);
    const rows = (await readAll(csv)).sort((a, b) => a.id - b.id);
    // 2 s at 500/s: about 1000 (Poisson: sd ≈ 32).
    assert.ok(rows.length > 850 && rows.length < 1150, `${rows.length} rows`);
    const fit = gapFit(rows.map((x) => x.scheduledMs), 500);
    assert.ok(fit.ks.pValue > 0.01, `KS D ${fit.ks.statistic}, p ${fit.ks.pValue}`);
    assert.ok(fit.cv >= 0.9 && fit.cv <= 1.1, `CV ${fit.cv}`);
    // The schedule is the seed's: the same times, relative to the first, as the library draws.
    const want = createArrivals({ process: "poisson", startRate: 500, stages: [], seed: 7 });
    const t0 = rows[0]!.scheduledMs;
    rows.slice(0, 200).forEach((x, k) => {
      const expect = want.dueMs(k) - want.dueMs(0);
      assert.ok(Math.abs(x.scheduledMs - t0 - expect) < 0.01, `request ${k}`);
    });
    const meta = await readRunMeta(csv);
    assert.equal(meta?.config.arrival, "poisson");
    assert.equal(meta?.config.seed, 7);
  });
});

Deno.test("bench --stages ramps the scheduled counts from 0 as the integral of the rate", async () => {
  await withMock(async (url, dir) => {
    const csv = `${dir}/ramp.csv`;
    const r = await runCli(["bench", url, "--stages", "2s:400/s", "--out", csv, "-q"], {
      writeDirs: [dir],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /arrivals +constant; ramp from 0\/s: 2s:400\/s/);
    const rows = await readAll(csv);
    assert.equal(rows.length, 400, "Λ(2 s) = 400 requests, then the run ends");
    const times = rows.map((x) => x.scheduledMs);
    const t0 = Math.min(...times); // request 0 is due at the start
    const profile = rateProfile(0, [{ durationMs: 2000, rate: 400 }]);
    const counts = binCounts(times, t0, 250, 8);
    counts.forEach((c, i) => {
      const expected = profile.integralAt((i + 1) * 250) - profile.integralAt(i * 250);
      assert.ok(countWithin(c, expected, 0.05), `bin ${i}: ${c} vs ${expected} (${counts})`);
    });
    const meta = await readRunMeta(csv);
    assert.equal(meta?.config.stages, "2s:400/s");
    assert.equal(meta?.config.duration_ms, 2000);
  });
});

Deno.test("two Poisson shards merged have the gaps of one machine at the whole rate", async () => {
  await withMock(async (url, dir) => {
    const common = ["--arrival", "poisson", "--rate", "500", "-d", "2s", "--seed", "3", "-q"];
    const startAt = Date.now() + 2500;
    const runs = await Promise.all([0, 1].map((i) =>
      runCli([
        "bench",
        url,
        ...common,
        "--shard",
        `${i}/2`,
        "--run-id",
        "arrivals-test",
        "--start-at",
        String(startAt),
        "--out",
        `${dir}/w${i}.csv`,
      ], { writeDirs: [dir] })
    ));
    runs.forEach((r, i) => assert.equal(r.code, 0, `worker ${i}: ${r.stderr}`));
    const files = [0, 1].map((i) => `${dir}/w${i}.csv`);
    const shards = await Promise.all(files.map(readAll));
    for (const rows of shards) {
      assert.ok(rows.length > 380 && rows.length < 620, `${rows.length} rows at 250/s`);
    }
    assert.notDeepEqual(
      shards[0]!.slice(0, 5).map((x) => x.scheduledMs - startAt),
      shards[1]!.slice(0, 5).map((x) => x.scheduledMs - startAt),
      "each shard draws its own stream",
    );
    const out = `${dir}/all.csv`;
    const merged = await runCli(["merge", ...files, "-o", out, "-q"], { writeDirs: [dir] });
    assert.equal(merged.code, 0, merged.stderr);
    const rows = await readAll(out);
    assert.equal(new Set(rows.map((x) => x.id)).size, rows.length, "ids unique");
    const fit = gapFit(rows.map((x) => x.scheduledMs), 500);
    assert.ok(
      fit.ks.pValue > 0.01,
      `merged vs exponential: D ${fit.ks.statistic}, p ${fit.ks.pValue}`,
    );
    assert.ok(fit.cv >= 0.9 && fit.cv <= 1.1, `CV ${fit.cv}`);
    // The one-machine schedule of the same seed and rate (pure: no second run needed).
    const one = createArrivals({ process: "poisson", startRate: 500, stages: [], seed: 3 });
    const oneTimes = Array.from({ length: 1000 }, (_, k) => one.dueMs(k));
    const two = ksTwoSample(scheduleGaps(rows.map((x) => x.scheduledMs)), scheduleGaps(oneTimes));
    assert.ok(two.pValue > 0.01, `merged vs one machine: D ${two.statistic}, p ${two.pValue}`);
  });
});
