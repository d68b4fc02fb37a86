/**
 * CPU per request of the fetch path, piece by piece, against nginx on
 * loopback: a bare `fetch` + `arrayBuffer()`, a bare `fetch` reading the
 * body chunk by chunk, the `h1` profile through the closed-loop runner, the
 * same with the CSV and summary a `bench` run adds, and `fast` for scale.
 * 4,000 requests at c=20 per variant, 3 alternating rounds, median.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read=.,/tmp --allow-write=/tmp --allow-run=nginx,sh --allow-env bench/fetch_cpu.ts
 * ```
 *
 * @module
 */
import process from "node:process";
import { createClient } from "../lib/client/mod.ts";
import { runClosed } from "../lib/load/runner.ts";
import { collect } from "../lib/records/collect.ts";
import { CsvWriter } from "../lib/records/csv_writer.ts";
import { SummaryBuilder } from "../lib/stats/summary.ts";
import { median } from "./_rounds.ts";
import { startNginx } from "./_tools.ts";

const N = 4000;
const C = 20;
const nginx = await startNginx(1);
const url = `http://127.0.0.1:${nginx.ports[0]}/`;
const pool = Deno.createHttpClient({ http1: true, http2: false, poolMaxIdlePerHost: C });

async function bare(stream: boolean): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next++ < N) {
      const res = await fetch(url, { client: pool } as RequestInit);
      if (!stream) {
        await res.arrayBuffer();
        continue;
      }
      const reader = res.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) { /* count */ }
    }
  };
  await Promise.all(Array.from({ length: C }, loop));
}

async function profile(name: string, withCsv: boolean): Promise<void> {
  const client = createClient(name, { concurrency: C, timeoutMs: 10_000 });
  const csvPath = "/tmp/tailgate-fetch-cpu.csv";
  const csv = withCsv ? await CsvWriter.create(csvPath) : null;
  const req = { url, method: "GET", headers: [] as [string, string][], body: null };
  try {
    await collect(runClosed({ client, requestFor: () => req, concurrency: C, requests: N }), {
      csv,
      builder: new SummaryBuilder(N),
    });
  } finally {
    await csv?.close();
    await client.close();
    if (withCsv) await Deno.remove(csvPath).catch(() => {});
  }
}

const variants: [string, () => Promise<void>][] = [
  ["bare fetch + arrayBuffer()", () => bare(false)],
  ["bare fetch, body chunk by chunk", () => bare(true)],
  ["h1 profile, runClosed", () => profile("h1", false)],
  ["h1 profile, runClosed + CSV + summary", () => profile("h1", true)],
  ["fast profile, runClosed + CSV + summary", () => profile("fast", true)],
];
const cpu: Record<string, number[]> = {};
try {
  for (let round = 0; round < 3; round++) {
    for (const [name, run] of variants) {
      const before = process.cpuUsage();
      await run();
      const used = process.cpuUsage(before);
      (cpu[name] ??= []).push((used.user + used.system) / N);
    }
  }
} finally {
  pool.close();
  await nginx.stop();
}
console.log(`CPU per request (this process), ${N} requests at c=${C} against nginx, median of 3:`);
for (const [name] of variants) {
  const runs = cpu[name]!;
  console.log(
    `  ${name.padEnd(40)} ${median(runs)!.toFixed(0).padStart(5)} µs   (runs ${
      runs.map((v) => v.toFixed(0)).join(" / ")
    })`,
  );
}
