/**
 * The arrival processes' done-when figures at full length (`deno task
 * bench:arrivals [URL]`): each runs `tailgate bench` through the CLI, as a
 * user does, and checks the CSV's `scheduled_ms` column.
 *
 * 1. `--arrival poisson --rate 500 -d 10s`: the gaps against the
 *    exponential of mean 2 ms (KS statistic and p-value) and their
 *    coefficient of variation.
 * 2. `--stages 10s:200/s` (from 0): the scheduled count of each second
 *    against the ramp's integral, 10·(2s+1), within ±5% or ±1 request.
 * 3. Two Poisson shards (`--shard 0/2`, `1/2`, a shared `--start-at`)
 *    merged with `tailgate merge`: the merged gaps against the exponential,
 *    and against the one-machine run of (1) (two-sample KS).
 *
 * URL: the server to load, on 127.0.0.2 (e.g. nginx `return 200`). Without
 * one, a tiny node HTTP server is started on 127.0.0.2. Prints every figure
 * with the command that made it; writes results/bench-arrivals.json.
 *
 * @module
 */
import { createArrivals, rateProfile } from "../lib/load/arrivals.ts";
import type { RequestRecord } from "../lib/record.ts";
import { readRecordsFile } from "../lib/records/read_records.ts";
import { ksTwoSample } from "../lib/stats/ks.ts";
import { binCounts, countWithin, gapFit, scheduleGaps } from "../lib/stats/schedule_fit.ts";
import { runTailgate } from "./_tools.ts";

const LIMIT_MS = 60_000;

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

/** Runs `tailgate ARGS` as the docs show it; throws with its stderr on a non-zero exit. */
async function tailgate(args: string[]): Promise<string> {
  const r = await runTailgate(args, LIMIT_MS);
  if (r.code !== 0) throw new Error(`tailgate ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A tiny node HTTP server on 127.0.0.2 (keep-alive, 200 "ok"), bounded to 10 minutes. */
async function startNode(): Promise<{ url: string; stop(): void }> {
  const l = Deno.listen({ hostname: "127.0.0.2", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const code = `const s=require("http").createServer((q,r)=>r.end("ok"));` +
    `s.listen(${port},"127.0.0.2");setTimeout(()=>process.exit(0),600000);`;
  const child = new Deno.Command("node", { args: ["-e", code], stdout: "null", stderr: "null" })
    .spawn();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.2", port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url: `http://127.0.0.2:${port}/`, stop: () => child.kill("SIGTERM") };
}

const fmt = (x: number, d = 4) => x.toFixed(d);

async function main(): Promise<void> {
  const given = Deno.args[0];
  const server = given === undefined ? await startNode() : null;
  const url = given ?? server!.url;
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "bench-arrivals-" });
  const report: Record<string, unknown> = { url, server: given === undefined ? "node" : "given" };
  try {
    // 1. Poisson at 500/s for 10 s.
    const poissonArgs = ["--arrival", "poisson", "--rate", "500", "-d", "10s", "-q"];
    await tailgate(["bench", url, ...poissonArgs, "--out", `${dir}/poisson.csv`]);
    const poissonRows = await readAll(`${dir}/poisson.csv`);
    const poisson = poissonRows.map((r) => r.scheduledMs);
    const fit = gapFit(poisson, 500);
    // The sends themselves (timestamp_ms): the schedule as kept, start lag included.
    const sent = gapFit(poissonRows.map((r) => r.startedMs), 500);
    console.log(`$ tailgate bench ${url} ${poissonArgs.join(" ")} --out poisson.csv`);
    console.log(
      `  ${poisson.length} requests, mean gap ${fmt(fit.meanMs, 3)} ms, KS D ${
        fmt(fit.ks.statistic)
      }, p ${fmt(fit.ks.pValue, 3)}, CV ${fmt(fit.cv, 3)}: ${
        fit.ks.pValue > 0.01 && fit.cv >= 0.9 && fit.cv <= 1.1 ? "pass" : "FAIL"
      }`,
    );
    console.log(
      `  actual sends (timestamp_ms): KS D ${fmt(sent.ks.statistic)}, p ${
        fmt(sent.ks.pValue, 3)
      }, CV ${fmt(sent.cv, 3)}`,
    );
    report.poisson = {
      command: `tailgate bench URL ${poissonArgs.join(" ")}`,
      requests: poisson.length,
      mean_gap_ms: fit.meanMs,
      ks_d: fit.ks.statistic,
      ks_p: fit.ks.pValue,
      cv: fit.cv,
      sent_ks_d: sent.ks.statistic,
      sent_ks_p: sent.ks.pValue,
      sent_cv: sent.cv,
    };

    // 2. A ramp from 0 to 200/s over 10 s.
    const rampArgs = ["--stages", "10s:200/s", "-q"];
    await tailgate(["bench", url, ...rampArgs, "--out", `${dir}/ramp.csv`]);
    const ramp = (await readAll(`${dir}/ramp.csv`)).map((r) => r.scheduledMs);
    const t0 = Math.min(...ramp);
    const profile = rateProfile(0, [{ durationMs: 10_000, rate: 200 }]);
    const counts = binCounts(ramp, t0, 1000, 10);
    const expected = counts.map((_, s) =>
      profile.integralAt((s + 1) * 1000) - profile.integralAt(s * 1000)
    );
    const ok = counts.every((c, s) => countWithin(c, expected[s]!, 0.05));
    console.log(`$ tailgate bench ${url} ${rampArgs.join(" ")} --out ramp.csv`);
    console.log(`  per second: ${counts.join(", ")}`);
    console.log(`  the ramp:   ${expected.join(", ")}: ${ok ? "pass" : "FAIL"} (±5% or ±1)`);
    report.ramp = {
      command: `tailgate bench URL ${rampArgs.join(" ")}`,
      requests: ramp.length,
      per_second: counts,
      expected,
    };

    // 3. Two Poisson shards, merged.
    const startAt = Date.now() + 4000;
    const shardArgs = (i: number) => [
      ...poissonArgs,
      "--shard",
      `${i}/2`,
      "--run-id",
      "arrivals",
      "--start-at",
      String(startAt),
      "--out",
      `${dir}/w${i}.csv`,
    ];
    await Promise.all([0, 1].map((i) => tailgate(["bench", url, ...shardArgs(i)])));
    await tailgate(["merge", `${dir}/w0.csv`, `${dir}/w1.csv`, "-o", `${dir}/all.csv`, "-q"]);
    const merged = (await readAll(`${dir}/all.csv`)).map((r) => r.scheduledMs);
    const mfit = gapFit(merged, 500);
    const two = ksTwoSample(scheduleGaps(merged), scheduleGaps(poisson));
    // The library's own one-machine schedule of the same length, as a second reference.
    const one = createArrivals({ process: "poisson", startRate: 500, stages: [], seed: 2 });
    const ref = Array.from({ length: poisson.length }, (_, k) => one.dueMs(k));
    const twoRef = ksTwoSample(scheduleGaps(merged), scheduleGaps(ref));
    console.log(
      `$ tailgate bench ${url} ${
        poissonArgs.join(" ")
      } --shard I/2 --run-id arrivals --start-at T --out wI.csv  (I = 0, 1)`,
    );
    console.log(`$ tailgate merge w0.csv w1.csv -o all.csv`);
    console.log(
      `  ${merged.length} requests, KS vs exponential D ${fmt(mfit.ks.statistic)}, p ${
        fmt(mfit.ks.pValue, 3)
      }, CV ${fmt(mfit.cv, 3)}; two-sample vs the one-machine run D ${fmt(two.statistic)}, p ${
        fmt(two.pValue, 3)
      }: ${mfit.ks.pValue > 0.01 && two.pValue > 0.01 ? "pass" : "FAIL"}`,
    );
    report.shards = {
      command: `tailgate bench URL ${poissonArgs.join(" ")} --shard I/2 ...; tailgate merge`,
      requests: merged.length,
      ks_d: mfit.ks.statistic,
      ks_p: mfit.ks.pValue,
      cv: mfit.cv,
      two_sample_d: two.statistic,
      two_sample_p: two.pValue,
      two_sample_vs_seed2_p: twoRef.pValue,
    };
  } finally {
    server?.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  await Deno.mkdir("results", { recursive: true });
  await Deno.writeTextFile("results/bench-arrivals.json", JSON.stringify(report, null, 2) + "\n");
  console.log("wrote results/bench-arrivals.json");
}

if (import.meta.main) await main();
