/**
 * How true are the numbers? (`deno task bench:fidelity`)
 *
 * 1. Closed model against a server that answers after a known delay
 *    (bench/fixed_delay_server.py, 50 ms, HTTP/1.1 keep-alive): hey, a bare
 *    10-line `fetch` script (the floor of the fetch profiles), and every
 *    HTTP/1.1 tailgate profile through its CLI with the CSV on; 2,000
 *    requests at c=20, tools alternating over rounds. Prints each tool's
 *    p50/p99/p99.9 minus the known delay (its error), beside the server's own
 *    lateness in the same run (a floor no client can beat).
 * 2. Open model at 1,000 req/s against the same server: h2load paced
 *    (`--rps`, 100 connections) and every HTTP/1.1 profile through the CLI;
 *    the start lag (actual send − scheduled send) read from each CSV.
 * 3. The pacer: `fast` through the CLI against nginx at 1,000, 5,000 and
 *    10,000 req/s, start lag from the CSV; and in-process, the CPU the pacer
 *    spends with its yield (default) and without it (`spinLeadMs: 0`,
 *    timers only) at each rate.
 *
 * Writes results/bench-fidelity.json. `--quick`: one round, 400 requests,
 * 2 s open runs. Options: `--rounds 3`, `--delay-ms 50`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { createClient, PROFILES } from "../lib/client/mod.ts";
import { newOpenLoopCounters, runOpen } from "../lib/load/runner.ts";
import { readRecordsFile } from "../lib/records/read_records.ts";
import { percentile } from "../lib/stats/summary.ts";
import { type Measured, median, type Row, type RowResult, runRounds } from "./_rounds.ts";
import {
  freePort,
  parseH2load,
  parseHey,
  run,
  startNginx,
  tailgateBench,
  waitForPort,
  which,
} from "./_tools.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    "delay-ms": { type: "string", default: "50" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("Usage: deno task bench:fidelity [--quick] [--rounds 3] [--delay-ms 50]");
  Deno.exit(0);
}

const quick = values.quick === true;
const rounds = quick ? 1 : Number(values.rounds);
const delayMs = Number(values["delay-ms"]);
const requests = quick ? 400 : 2000;
const openSecs = quick ? 2 : 5;
const concurrency = 20;
const openRate = 1000;
/** HTTP/1.1 profiles: the fixed-delay server speaks HTTP/1.1 only. */
const H1_PROFILES = ["fast", "h1", "baseline", "fresh"].filter((p) =>
  (PROFILES as readonly string[]).includes(p)
);
const fmt = (n: number | null | undefined, d = 2) =>
  n === null || n === undefined ? "-" : n.toFixed(d);

/** The fixed-delay server in its own process. */
async function startFixedDelay(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = freePort();
  const script = new URL("./fixed_delay_server.py", import.meta.url).pathname;
  const child = new Deno.Command("python3", {
    args: [script, String(port), String(delayMs)],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  await waitForPort(port, 10_000);
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** The server's own lateness since the last call (and resets it). */
async function serverLateness(url: string): Promise<Record<string, number | null>> {
  const stats = await (await fetch(`${url}__stats`)).json();
  await (await fetch(`${url}__reset`)).arrayBuffer();
  return stats;
}

/** Start lag (timestamp_ms − scheduled_ms) of the measured rows of a tailgate CSV. */
async function csvStartLag(path: string): Promise<Record<string, number | null>> {
  const lags: number[] = [];
  for await (const r of readRecordsFile(path)) {
    if (!r.warmup && r.error !== "dropped") lags.push(r.startedMs - r.scheduledMs);
  }
  lags.sort((a, b) => a - b);
  return {
    start_lag_p50_ms: percentile(lags, 50),
    start_lag_p99_ms: percentile(lags, 99),
    start_lag_max_ms: lags.at(-1) ?? null,
  };
}

/** Runs tailgate through the CLI, keeps its CSV long enough to read the start lag. */
async function cliRun(url: string, args: string[], withLag: boolean): Promise<Measured> {
  const r = await tailgateBench(url, args, 120_000, withLag);
  const extra: Record<string, number | null> = { p999_ms: r.p999_ms };
  if (r.csv !== null) {
    try {
      Object.assign(extra, await csvStartLag(r.csv));
    } finally {
      await Deno.remove(r.csv).catch(() => {});
      await Deno.remove(`${r.csv}.meta.json`).catch(() => {});
    }
  }
  return {
    rps: r.rps,
    p50_ms: r.p50_ms,
    p99_ms: r.p99_ms,
    requests: r.requests,
    errors: r.errors,
    extra,
  };
}

/** Adds the server's lateness during a run to what the run measured. */
function withServer(url: string, f: () => Promise<Measured>): () => Promise<Measured> {
  return async () => {
    await serverLateness(url);
    const m = await f();
    const s = await serverLateness(url);
    return {
      ...m,
      extra: {
        ...m.extra,
        server_late_p50_ms: s.p50_ms ?? null,
        server_late_p99_ms: s.p99_ms ?? null,
      },
    };
  };
}

async function heyClosed(url: string): Promise<Measured> {
  const r = await run("hey", ["-n", String(requests), "-c", String(concurrency), url], 120_000);
  const m = parseHey(r.stdout);
  const p999 = /99\.9% in ([\d.]+) secs/.exec(r.stdout);
  return { ...m, extra: { p999_ms: p999 ? Number(p999[1]) * 1000 : null } };
}

async function bareFetch(url: string): Promise<Measured> {
  const script = new URL("./bare_fetch.ts", import.meta.url).pathname;
  const r = await run(
    "deno",
    ["run", "--allow-net=127.0.0.1", script, url, String(requests), String(concurrency)],
    120_000,
  );
  const j = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return {
    rps: null,
    p50_ms: j.p50_ms,
    p99_ms: j.p99_ms,
    requests: j.count,
    errors: 0,
    extra: { p999_ms: j.p999_ms },
  };
}

async function h2loadPaced(url: string, rate: number, secs: number): Promise<Measured> {
  const log = await Deno.makeTempFile({ dir: "/tmp", prefix: "tailgate-h2load-" });
  const clients = 100;
  try {
    const r = await run(
      "h2load",
      ["--h1", `-c${clients}`, `--rps=${rate / clients}`, `-D${secs}`, `--log-file=${log}`, url],
      secs * 1000 + 60_000,
    );
    const m = parseH2load(r.stdout, await Deno.readTextFile(log));
    const lat = (await Deno.readTextFile(log)).split("\n").map((l) =>
      Number(l.split("\t")[2]) / 1000
    )
      .filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    return { ...m, extra: { p999_ms: percentile(lat, 99.9) } };
  } finally {
    await Deno.remove(log).catch(() => {});
  }
}

function errorRow(r: RowResult) {
  const x = (k: string) => median(r.rounds.map((m) => m.extra?.[k] ?? null));
  const minus = (v: number | null) => v === null ? null : v - delayMs;
  return {
    tool: r.tool,
    p50_ms: r.median_p50_ms,
    p99_ms: r.median_p99_ms,
    p999_ms: x("p999_ms"),
    p50_error_ms: minus(r.median_p50_ms),
    p99_error_ms: minus(r.median_p99_ms),
    p999_error_ms: minus(x("p999_ms")),
    server_late_p50_ms: x("server_late_p50_ms"),
    server_late_p99_ms: x("server_late_p99_ms"),
    start_lag_p50_ms: x("start_lag_p50_ms"),
    start_lag_p99_ms: x("start_lag_p99_ms"),
    start_lag_max_ms: x("start_lag_max_ms"),
    rps: r.median_rps,
    spread_p50_ms: r.rounds.map((m) => m.p50_ms),
    note: r.note,
  };
}

type ErrorRow = ReturnType<typeof errorRow>;

function printErrors(title: string, rows: ErrorRow[], hey: ErrorRow | undefined) {
  console.log(`\n${title}`);
  console.log(
    "tool                  p50 err  p99 err  p99.9 err   p50-hey  p99-hey   server late p50/p99   start lag p50/p99/max",
  );
  for (const r of rows) {
    const vsHey = (a: number | null, b: number | null | undefined) =>
      a === null || b === null || b === undefined ? "-" : (a - b).toFixed(2);
    console.log(
      `${r.tool.padEnd(20)} ${fmt(r.p50_error_ms).padStart(8)} ${fmt(r.p99_error_ms).padStart(8)} ${
        fmt(r.p999_error_ms).padStart(10)
      } ${vsHey(r.p50_ms, hey?.p50_ms).padStart(9)} ${vsHey(r.p99_ms, hey?.p99_ms).padStart(8)}   ${
        `${fmt(r.server_late_p50_ms)}/${fmt(r.server_late_p99_ms)}`.padEnd(20)
      }  ${
        r.start_lag_p50_ms === null
          ? "-"
          : `${fmt(r.start_lag_p50_ms, 3)}/${fmt(r.start_lag_p99_ms, 3)}/${
            fmt(r.start_lag_max_ms, 2)
          }`
      }`,
    );
  }
  console.log(`(errors in ms against the known ${delayMs} ms; medians over ${rounds} round(s))`);
}

/** In-process: process CPU and start lag at a rate, with the pacer's yield and with timers only. */
async function pacerCost(url: string, rate: number, spinLeadMs: number | undefined) {
  const client = createClient("fast", { concurrency: 200, timeoutMs: 5000 });
  const counters = newOpenLoopCounters();
  const req = { url, method: "GET", headers: [] as [string, string][], body: null };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for await (
    const _ of runOpen({
      client,
      requestFor: () => req,
      rate,
      maxInFlight: 200,
      requests: Infinity,
      durationMs: openSecs * 1000,
      warmupMs: 500,
      counters,
      ...(spinLeadMs === undefined ? {} : { spinLeadMs }),
    })
  ) { /* counted in counters */ }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await client.close();
  const lag = counters.startLag.summary();
  return {
    rate,
    mode: spinLeadMs === 0 ? "timers only" : "sleep + yield (default)",
    cpu_percent_of_a_core: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    start_lag_p50_ms: lag.p50_ms,
    start_lag_p99_ms: lag.p99_ms,
    start_lag_max_ms: lag.max_ms,
    late: counters.late,
    dropped: counters.dropped,
  };
}

async function main() {
  const started = performance.now();
  const have = new Set<string>();
  for (const b of ["hey", "h2load", "nginx", "python3"]) if (await which(b)) have.add(b);
  if (!have.has("python3")) throw new Error("python3 is needed for the fixed-delay server");
  const missing = (b: string) => have.has(b) ? undefined : `skipped: ${b} is not installed`;
  const server = await startFixedDelay();
  const url = server.url;
  let closed: RowResult[];
  let open: RowResult[];
  try {
    // Warm the server's code path once.
    await run("deno", [
      "eval",
      `await Promise.all(Array.from({length: 20}, () => fetch("${url}").then((r) => r.arrayBuffer())))`,
    ], 30_000).catch(() => {});
    const closedRows: Row[] = [
      {
        tool: "hey",
        protocol: "h1",
        configs: [{ name: "default", run: withServer(url, () => heyClosed(url)) }],
        note: "reference",
        skip: missing("hey"),
      },
      {
        tool: "bare fetch script",
        protocol: "h1",
        configs: [{ name: "deno run", run: withServer(url, () => bareFetch(url)) }],
        note: "bench/bare_fetch.ts: 20 loops of fetch + arrayBuffer(): the fetch floor",
      },
      ...H1_PROFILES.map((p): Row => ({
        tool: `tailgate ${p}`,
        protocol: "h1",
        configs: [{
          name: "CLI",
          run: withServer(
            url,
            () =>
              cliRun(
                url,
                ["--client", p, "-n", String(requests), "-c", String(concurrency)],
                false,
              ),
          ),
        }],
        note: "deno run main.ts bench, CSV on",
      })),
    ];
    console.log(`Closed model: ${requests} requests, c=${concurrency}, server delay ${delayMs} ms`);
    closed = await runRounds(closedRows, rounds, 300, (l) => console.log(l));
    const openRows: Row[] = [
      {
        tool: "h2load paced",
        protocol: "h1",
        configs: [{
          name: "--rps",
          run: withServer(url, () => h2loadPaced(url, openRate, openSecs)),
        }],
        note: "h2load --h1 -c100 --rps 10 (times from the actual send)",
        skip: missing("h2load"),
      },
      ...H1_PROFILES.map((p): Row => ({
        tool: `tailgate ${p}`,
        protocol: "h1",
        configs: [{
          name: "CLI",
          run: withServer(url, () =>
            cliRun(
              url,
              ["--client", p, "-r", String(openRate), "-d", `${openSecs}s`, "--warmup", "1s"],
              true,
            )),
        }],
        note: "deno run main.ts bench --rate, CSV on; latency from the scheduled send",
      })),
    ];
    console.log(`\nOpen model: ${openRate} req/s for ${openSecs} s`);
    open = await runRounds(openRows, rounds, 300, (l) => console.log(l));
  } finally {
    await server.stop();
  }
  const closedErr = closed.filter((r) => r.rounds.length > 0).map(errorRow);
  const openErr = open.filter((r) => r.rounds.length > 0).map(errorRow);
  printErrors(
    `Closed model, ${requests} requests, c=${concurrency}, fixed ${delayMs} ms server`,
    closedErr,
    closedErr.find((r) => r.tool === "hey"),
  );
  printErrors(
    `Open model, ${openRate} req/s, fixed ${delayMs} ms server`,
    openErr,
    closedErr.find((r) => r.tool === "hey"),
  );

  // 3. The pacer against nginx.
  const pacer: Record<string, unknown>[] = [];
  const cost: Record<string, unknown>[] = [];
  if (have.has("nginx")) {
    const nginx = await startNginx(1);
    const nurl = `http://127.0.0.1:${nginx.ports[0]}/`;
    try {
      for (const rate of [1000, 5000, 10_000]) {
        const lags: Measured[] = [];
        for (let i = 0; i < rounds; i++) {
          lags.push(
            await cliRun(nurl, [
              "--client",
              "fast",
              "-r",
              String(rate),
              "-d",
              `${openSecs}s`,
              "--warmup",
              "1s",
              "--max-in-flight",
              "200",
            ], true),
          );
        }
        const x = (k: string) => median(lags.map((m) => m.extra?.[k] ?? null));
        const row = {
          rate,
          start_lag_p50_ms: x("start_lag_p50_ms"),
          start_lag_p99_ms: x("start_lag_p99_ms"),
          start_lag_max_ms: x("start_lag_max_ms"),
          p50_ms: median(lags.map((m) => m.p50_ms)),
          p99_ms: median(lags.map((m) => m.p99_ms)),
          runs: lags.map((m) => m.extra),
        };
        pacer.push(row);
        console.log(
          `pacer, fast CLI against nginx at ${rate} req/s: start lag p50 ${
            fmt(row.start_lag_p50_ms, 3)
          } ms, p99 ${fmt(row.start_lag_p99_ms, 3)} ms, max ${
            fmt(row.start_lag_max_ms)
          } ms (median of ${rounds})`,
        );
      }
      for (const rate of [1000, 5000, 10_000]) {
        for (const lead of [undefined, 0]) {
          const c = await pacerCost(nurl, rate, lead);
          cost.push(c);
          console.log(
            `pacer cost in-process at ${rate} req/s, ${c.mode}: CPU ${
              c.cpu_percent_of_a_core.toFixed(0)
            }% of a core, start lag p50 ${fmt(c.start_lag_p50_ms, 3)} ms, p99 ${
              fmt(c.start_lag_p99_ms, 3)
            } ms`,
          );
        }
      }
    } finally {
      await nginx.stop();
    }
  }
  const report = {
    date: new Date().toISOString(),
    command: "deno task bench:fidelity " + Deno.args.join(" "),
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno, os: Deno.build.os },
    delay_ms: delayMs,
    rounds,
    closed: { requests, concurrency, rows: closedErr, raw: closed },
    open: { rate: openRate, duration_s: openSecs, rows: openErr, raw: open },
    pacer_nginx: pacer,
    pacer_cost: cost,
    notes: [
      "errors are latency minus the known server delay; the server's own lateness (timer wake-up in asyncio) is in server_late_*",
      "fast-h2 speaks HTTP/2 only and the fixed-delay server HTTP/1.1 only; optimized would choose HTTP/1.1 here, the h1 path: neither is in this table",
    ],
    elapsed_s: (performance.now() - started) / 1000,
  };
  await Deno.mkdir("results", { recursive: true });
  const out = quick ? "results/bench-fidelity-quick.json" : "results/bench-fidelity.json";
  await Deno.writeTextFile(out, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nwrote ${out} (${report.elapsed_s.toFixed(0)} s)`);
}

if (import.meta.main) await main();
