/**
 * fast-h2 against h2load on nginx's cleartext HTTP/2 port (`deno task
 * bench:h2`), in one run, as ratios: the only honest way to compare on a
 * shared machine.
 *
 * Default mode: starts nginx (bench/nginx.conf, one worker), then for each
 * round and each shape C×M (C connections, M streams each) runs h2load
 * (`-c C -m M -D secs`) and `tailgate bench --client fast-h2 --connections C
 * --streams M -c C*M -d secs` (through the CLI, CSV on, as a user runs it),
 * alternating which goes first. Prints every run, then per shape the median
 * ratio of the rounds and its spread, with the load average.
 *
 * Other modes:
 * - `--latency`: p50 at a fixed 1,000 req/s on nginx (h2load `--rps` over
 *   10 connections vs fast-h2 `--rate 1000` over 10 connections, both timed
 *   from the actual send), and against the mock serving a fixed 50 ms,
 *   2,000 requests with 20 in flight on one connection (h2load `-c 1 -m 20`
 *   vs fast-h2 `--connections 1 --streams 20`): p50 and p99 from h2load's
 *   `--log-file` and from the tailgate CSV's summary.
 * - `--memory [--requests 1000000]`: one fast-h2 CLI run of N requests (CSV
 *   on) against nginx, its RSS sampled every second: peak and growth; then
 *   the engine alone in this process (no runner, no CSV), heap and RSS
 *   every tenth of the run, to tell a leak in the engine from GC sizing.
 *
 * - `--engine`: the engine's own CPU per request, in-process (20 loops
 *   calling the client, no runner, no CSV; `node:process` cpuUsage()) for
 *   each shape, beside h2load's (`times`), in alternating rounds.
 *
 * Options: `--rounds 3`, `--duration 4s`, `--shapes 20x1,2x10,1x20`,
 * `--nginx-workers 1`. Writes results/bench-h2.json (results/bench-h2-latency.json,
 * results/bench-h2-memory.json).
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { createFastH2Client } from "../lib/client/fast_h2.ts";
import { parseDuration } from "../lib/duration.ts";
import { benchV8Flags, parseH2load, run, startMock, startNginx, which } from "./_tools.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "4s" },
    shapes: { type: "string", default: "20x1,2x10,1x20" },
    "nginx-workers": { type: "string", default: "1" },
    latency: { type: "boolean", default: false },
    memory: { type: "boolean", default: false },
    engine: { type: "boolean", default: false },
    requests: { type: "string", default: "1000000" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "Usage: deno task bench:h2 [--rounds 3] [--duration 4s] [--shapes 20x1,2x10,1x20]\n" +
      "       deno task bench:h2 --latency\n" +
      "       deno task bench:h2 --memory [--requests 1000000]\n" +
      "       deno task bench:h2 --engine [--rounds 3] [--shapes 20x1,2x10,1x20]",
  );
  Deno.exit(0);
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CSV = "results/bench-h2-fast-h2.csv";
const JSON_OUT = "results/bench-h2-fast-h2.json";

/** One measured run of one tool. */
interface Measured {
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  requests: number | null;
  errors: number | null;
  /** CPU seconds (user + system) the process used, from the shell's `times`. */
  cpu_s: number | null;
}

/**
 * Runs a command through `sh` followed by `times`, so the child's CPU time
 * (user + system) comes back with its output: the client's cost per request
 * is a steadier measure than its req/s on a machine shared with other work.
 */
async function timed(cmd: string, args: string[], limitMs: number) {
  const r = await run(
    "sh",
    ["-c", '"$@"; status=$?; times; exit $status', "sh", cmd, ...args],
    limitMs,
  );
  const lines = r.stdout.trimEnd().split("\n");
  const children = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1) ?? "");
  const cpu = children
    ? Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 +
      Number(children[4])
    : null;
  return { ...r, stdout: lines.slice(0, -2).join("\n"), cpu };
}

const fmt = (n: number | null, d = 2) => n === null ? "-" : n.toFixed(d);
const fmtInt = (n: number | null) => n === null ? "-" : Math.round(n).toLocaleString("en-US");
const load = () => Deno.loadavg().map((x) => x.toFixed(1)).join(" ");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** h2load with `args` plus a log file for percentiles. */
async function h2load(args: string[], limitMs: number): Promise<Measured> {
  const log = await Deno.makeTempFile({ dir: "/tmp", prefix: "tailgate-h2load-" });
  try {
    const r = await timed("h2load", [...args, `--log-file=${log}`], limitMs);
    if (r.code !== 0) throw new Error(`h2load exited ${r.code}: ${r.stderr.trim()}`);
    return { ...parseH2load(r.stdout, await Deno.readTextFile(log)), cpu_s: r.cpu };
  } finally {
    await Deno.remove(log).catch(() => {});
  }
}

/** `deno task bench`'s V8 flags, as the task runs tailgate. */
const V8_FLAGS = await benchV8Flags();

/** `deno` arguments for `tailgate bench --client fast-h2 <url> <args>`, CSV and JSON on. */
function benchArgs(url: string, args: string[]): string[] {
  return [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read=.",
    "--allow-write=results",
    ...V8_FLAGS,
    MAIN,
    "bench",
    url,
    "--client",
    "fast-h2",
    ...args,
    "-o",
    CSV,
    "--json",
    JSON_OUT,
    "-q",
  ];
}

/** `tailgate bench --client fast-h2` through the CLI, CSV on; the summary from its --json. */
async function fastH2(
  url: string,
  args: string[],
  limitMs: number,
): Promise<Measured & { uncorrected_p50_ms: number | null; uncorrected_p99_ms: number | null }> {
  const r = await timed("deno", benchArgs(url, args), limitMs);
  if (r.code !== 0) throw new Error(`tailgate bench exited ${r.code}: ${r.stderr.trim()}`);
  const j = JSON.parse(await Deno.readTextFile(JSON_OUT));
  const s = j.summary;
  return {
    rps: s.throughput_rps,
    p50_ms: s.p50_ms,
    p99_ms: s.p99_ms,
    requests: s.count,
    errors: s.errors,
    uncorrected_p50_ms: j.open_model?.uncorrected?.p50_ms ?? null,
    uncorrected_p99_ms: j.open_model?.uncorrected?.p99_ms ?? null,
    cpu_s: r.cpu,
  };
}

/** CPU µs per request, less `baseS` (a process's start-up). */
function usPerRequest(m: Measured, baseS = 0): number | null {
  return m.cpu_s === null || !m.requests ? null : (m.cpu_s - baseS) * 1e6 / m.requests;
}

function parseShape(shape: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(shape);
  if (!m) throw new TypeError(`Invalid shape "${shape}": use CxM, e.g. 20x1`);
  return [Number(m[1]), Number(m[2])];
}

async function throughputMode(url: string) {
  const rounds = Number(values.rounds);
  const secs = Math.max(1, Math.round(parseDuration(values.duration!) / 1000));
  const shapes = values.shapes!.split(",").map(parseShape);
  const limit = secs * 1000 + 60_000;
  const rows: Record<string, unknown>[] = [];
  console.log(
    `fast-h2 (tailgate bench, CSV on) vs h2load on nginx h2c, ${secs}s each, ${rounds} rounds, ` +
      `${navigator.hardwareConcurrency} CPUs shared by client and server; load average ${load()}`,
  );
  // What a one-request run costs: deno's start-up and compile, taken off fast-h2's CPU.
  const startupS = (await fastH2(url, ["-n", "1"], limit)).cpu_s ?? 0;
  console.log(
    "round  shape   first    h2load req/s  fast-h2 req/s   ratio  errors  " +
      "CPU us/req h2load fast-h2  load",
  );
  for (let round = 1; round <= rounds; round++) {
    for (const [c, m] of shapes) {
      const h2First = round % 2 === 1;
      const runH2 = () =>
        h2load([
          "-c",
          String(c),
          "-m",
          String(m),
          "-t",
          String(Math.min(2, c)),
          "-D",
          String(secs),
          url,
        ], limit);
      const runFast = () =>
        fastH2(url, [
          "-c",
          String(c * m),
          "--connections",
          String(c),
          "--streams",
          String(m),
          "-d",
          `${secs}s`,
        ], limit);
      const before = load();
      let h: Measured;
      let f: Measured;
      if (h2First) {
        h = await runH2();
        f = await runFast();
      } else {
        f = await runFast();
        h = await runH2();
      }
      const ratio = h.rps && f.rps ? f.rps / h.rps : null;
      const hUs = usPerRequest(h);
      const fUs = usPerRequest(f, startupS);
      const cpuRatio = hUs !== null && fUs !== null && fUs > 0 ? hUs / fUs : null;
      rows.push({
        round,
        shape: `${c}x${m}`,
        h2load: h,
        fast_h2: f,
        ratio,
        cpu_us_per_request: { h2load: hUs, fast_h2: fUs },
        cpu_ratio: cpuRatio,
        load_before: before,
      });
      console.log(
        `${String(round).padStart(5)}  ${`${c}x${m}`.padEnd(6)} ${
          (h2First ? "h2load" : "fast-h2").padEnd(8)
        } ${fmtInt(h.rps).padStart(12)}  ${fmtInt(f.rps).padStart(13)}  ${
          fmt(ratio).padStart(6)
        }x ${`${fmtInt(h.errors)}/${fmtInt(f.errors)}`.padStart(7)}  ${fmt(hUs, 1).padStart(17)} ${
          fmt(fUs, 1).padStart(7)
        }  ${before}`,
      );
    }
  }
  console.log(
    "\nshape   median ratio  spread (min-max)  fast-h2 errors  target" +
      "                    CPU/request h2load / fast-h2",
  );
  const summary: Record<string, unknown>[] = [];
  for (const [c, m] of shapes) {
    const mine = rows.filter((r) => r.shape === `${c}x${m}`);
    const ratios = mine.map((r) => r.ratio).filter((x): x is number => typeof x === "number");
    const errors = mine.reduce((a, r) => a + ((r.fast_h2 as Measured).errors ?? 0), 0);
    const med = ratios.length ? median(ratios) : null;
    const cpuRatios = mine.map((r) => r.cpu_ratio).filter((x): x is number =>
      typeof x === "number"
    );
    const line = {
      shape: `${c}x${m}`,
      median_ratio: med,
      min_ratio: ratios.length ? Math.min(...ratios) : null,
      max_ratio: ratios.length ? Math.max(...ratios) : null,
      fast_h2_errors: errors,
      median_cpu_ratio: cpuRatios.length ? median(cpuRatios) : null,
    };
    summary.push(line);
    console.log(
      `${line.shape.padEnd(6)}  ${fmt(med).padStart(11)}x  ${fmt(line.min_ratio)}-${
        fmt(line.max_ratio)
      }x ${String(errors).padStart(15)}  ${
        med === null
          ? "-"
          : med >= 1
          ? ">= 1.0x met"
          : med >= 0.9
          ? ">= 0.9x met, 1.0x missed"
          : "MISSED"
      }`.padEnd(68) + ` ${fmt(line.median_cpu_ratio)}x`,
    );
  }
  await writeReport("results/bench-h2.json", { mode: "throughput", secs, rounds, rows, summary });
}

async function latencyMode(url: string) {
  const rounds = Number(values.rounds);
  const out: Record<string, unknown> = {};
  console.log(`p50 at a fixed 1,000 req/s on nginx h2c (5s, 10 connections); load ${load()}`);
  console.log("round  tool      p50 ms   p99 ms  note");
  const paced: Record<string, unknown>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const h = await h2load(["-c", "10", "-m", "1", "--rps", "100", "-D", "5", url], 70_000);
    const f = await fastH2(url, [
      "--rate",
      "1000",
      "-d",
      "5s",
      "--warmup",
      "1s",
      "--connections",
      "10",
      "--streams",
      "1",
    ], 70_000);
    paced.push({ round, h2load: h, fast_h2: f });
    console.log(
      `${String(round).padStart(5)}  h2load   ${fmt(h.p50_ms, 3).padStart(7)}  ${
        fmt(h.p99_ms, 3).padStart(7)
      }  --rps 100 per connection, from the actual send`,
    );
    console.log(
      `${String(round).padStart(5)}  fast-h2  ${fmt(f.uncorrected_p50_ms, 3).padStart(7)}  ${
        fmt(f.uncorrected_p99_ms, 3).padStart(7)
      }  from the actual send (from the schedule: p50 ${fmt(f.p50_ms, 3)}, p99 ${
        fmt(f.p99_ms, 3)
      })`,
    );
  }
  out.paced_1000rps = paced;
  const mock = await startMock(50);
  const mockUrl = `http://127.0.0.1:${mock.ports[0]}/api`;
  try {
    console.log(
      `\nMock serving a fixed 50 ms: 2,000 requests, 20 in flight on one connection; load ${load()}`,
    );
    console.log("round  tool      p50 ms   p99 ms  errors");
    const fixed: Record<string, unknown>[] = [];
    for (let round = 1; round <= rounds; round++) {
      const h = await h2load(["-c", "1", "-m", "20", "-t", "1", "-n", "2000", mockUrl], 120_000);
      const f = await fastH2(mockUrl, [
        "-c",
        "20",
        "--connections",
        "1",
        "--streams",
        "20",
        "-n",
        "2000",
      ], 120_000);
      fixed.push({
        round,
        h2load: h,
        fast_h2: f,
        p99_diff_ms: (f.p99_ms ?? NaN) - (h.p99_ms ?? NaN),
      });
      for (const [tool, r] of [["h2load", h], ["fast-h2", f]] as const) {
        console.log(
          `${String(round).padStart(5)}  ${tool.padEnd(8)} ${fmt(r.p50_ms, 3).padStart(7)}  ${
            fmt(r.p99_ms, 3).padStart(7)
          }  ${fmtInt(r.errors)}`,
        );
      }
      console.log(
        `       fast-h2 p99 - h2load p99 = ${
          fmt((f.p99_ms ?? NaN) - (h.p99_ms ?? NaN), 3)
        } ms (target <= 3 ms)`,
      );
    }
    out.mock_50ms = fixed;
  } finally {
    await mock.stop();
  }
  await writeReport("results/bench-h2-latency.json", { mode: "latency", ...out });
}

/** RSS and peak RSS of a process in MiB, read through `sh` (Deno reads /proc only with -A). */
async function rssMiB(pid: number): Promise<[number, number] | null> {
  const r = await run("sh", ["-c", `grep -E '^Vm(RSS|HWM)' /proc/${pid}/status`], 5000);
  const rss = /VmRSS:\s+(\d+) kB/.exec(r.stdout);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(r.stdout);
  return rss && hwm ? [Number(rss[1]) / 1024, Number(hwm[1]) / 1024] : null;
}

async function memoryMode(url: string) {
  const n = Number(values.requests);
  console.log(
    `fast-h2 through the CLI, ${
      fmtInt(n)
    } requests, 20 connections x 1 stream, CSV on; load ${load()}`,
  );
  const child = new Deno.Command("deno", {
    args: benchArgs(url, [
      "-c",
      "20",
      "--connections",
      "20",
      "--streams",
      "1",
      "-n",
      String(n),
    ]),
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const samples: { s: number; rss_mib: number; peak_mib: number }[] = [];
  const t0 = performance.now();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  while (!exited && performance.now() - t0 < 30 * 60_000) {
    await new Promise((r) => setTimeout(r, 1000));
    if (exited) break;
    const m = await rssMiB(child.pid).catch(() => null);
    if (m) samples.push({ s: (performance.now() - t0) / 1000, rss_mib: m[0], peak_mib: m[1] });
  }
  if (!exited) child.kill("SIGKILL");
  const st = await status;
  await child.stderr.cancel();
  const j = JSON.parse(await Deno.readTextFile(JSON_OUT));
  const peak = Math.max(...samples.map((x) => x.peak_mib));
  for (const x of samples.filter((_, i) => i % 5 === 0 || i === samples.length - 1)) {
    console.log(`  ${x.s.toFixed(0).padStart(4)} s  RSS ${x.rss_mib.toFixed(1)} MiB`);
  }
  console.log(
    `exit ${st.code}: ${fmtInt(j.summary.count)} requests, ${fmtInt(j.summary.errors)} errors, ${
      fmtInt(j.summary.throughput_rps)
    } req/s; peak RSS ${peak.toFixed(1)} MiB (${
      fmtInt(n * 8 / 1024 / 1024)
    } MiB of it is the exact-percentile latency store, 8 bytes a request)`,
  );
  const engine = await engineMemory(url, n);
  await writeReport("results/bench-h2-memory.json", {
    mode: "memory",
    requests: n,
    summary: j.summary,
    peak_rss_mib: peak,
    samples,
    engine_only: engine,
  });
}

/**
 * The engine alone, in this process: 20 loops calling the client directly
 * (no runner, no CSV, no summary), heap and RSS every tenth of the run. A
 * leak in fast-h2 (per-stream state, a growing map, retained buffers) shows
 * here as a heap that does not come back down.
 */
async function engineMemory(url: string, n: number) {
  console.log(`\nthe fast-h2 engine alone, in-process, ${fmtInt(n)} requests, 20 x 1`);
  const client = createFastH2Client({
    concurrency: 20,
    timeoutMs: 10_000,
    connections: 20,
    streams: 1,
  });
  const req = { url, method: "GET", headers: [] as [string, string][], body: null };
  const every = Math.max(1, Math.floor(n / 10));
  const samples: { requests: number; heap_mib: number; rss_mib: number }[] = [];
  let started = 0;
  let done = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (started < n) {
      started++;
      const o = await client.send(req);
      if (o.error !== "") errors++;
      if (++done % every === 0) {
        const m = Deno.memoryUsage();
        samples.push({ requests: done, heap_mib: m.heapUsed / 2 ** 20, rss_mib: m.rss / 2 ** 20 });
      }
    }
  }));
  await client.close();
  for (const x of samples) {
    console.log(
      `  ${fmtInt(x.requests).padStart(9)} requests  heap ${x.heap_mib.toFixed(1)} MiB  RSS ${
        x.rss_mib.toFixed(1)
      } MiB`,
    );
  }
  console.log(`  ${fmtInt(errors)} errors`);
  return { requests: n, errors, samples };
}

/** Runs `n` requests through the engine in-process as C×M; returns req/s and CPU µs per request. */
async function engineRun(url: string, c: number, m: number, n: number) {
  const client = createFastH2Client({
    concurrency: c * m,
    timeoutMs: 10_000,
    connections: c,
    streams: m,
  });
  const req = { url, method: "GET", headers: [] as [string, string][], body: null };
  const loop = async (count: number) => {
    let started = 0;
    let errors = 0;
    await Promise.all(Array.from({ length: c * m }, async () => {
      while (started < count) {
        started++;
        if ((await client.send(req)).error !== "") errors++;
      }
    }));
    return errors;
  };
  await loop(Math.min(n, 5_000)); // connections up, JIT warm
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const errors = await loop(n);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await client.close();
  return { rps: n / s, cpu_us_per_request: (cpu.user + cpu.system) / n, errors };
}

async function engineMode(url: string) {
  const rounds = Number(values.rounds);
  const shapes = values.shapes!.split(",").map(parseShape);
  const n = 100_000;
  console.log(
    `CPU per request: the fast-h2 engine in-process (no runner, no CSV) vs h2load, ${
      fmtInt(n)
    } requests each; load ${load()}`,
  );
  console.log("round  shape   engine req/s  engine us/req  h2load req/s  h2load us/req  load");
  const rows: Record<string, unknown>[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const [c, m] of shapes) {
      const before = load();
      const e = await engineRun(url, c, m, n);
      const h = await h2load(
        ["-c", String(c), "-m", String(m), "-t", String(Math.min(2, c)), "-n", String(n), url],
        120_000,
      );
      const hUs = usPerRequest(h);
      rows.push({
        round,
        shape: `${c}x${m}`,
        engine: e,
        h2load: { ...h, cpu_us_per_request: hUs },
      });
      console.log(
        `${String(round).padStart(5)}  ${`${c}x${m}`.padEnd(6)} ${fmtInt(e.rps).padStart(12)}  ${
          fmt(e.cpu_us_per_request, 1).padStart(13)
        }  ${fmtInt(h.rps).padStart(12)}  ${fmt(hUs, 1).padStart(13)}  ${before}`,
      );
    }
  }
  await writeReport("results/bench-h2-engine.json", { mode: "engine", requests: n, rows });
}

async function writeReport(path: string, body: Record<string, unknown>) {
  await Deno.mkdir("results", { recursive: true });
  const report = {
    date: new Date().toISOString(),
    command: "deno task bench:h2 " + Deno.args.join(" "),
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno, os: Deno.build.os },
    load_average_end: Deno.loadavg(),
    ...body,
  };
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nwrote ${path}`);
}

for (const b of ["nginx", "h2load"]) {
  if (!(await which(b))) {
    console.error(`bench:h2 needs ${b}: apt-get install -y nginx-light nghttp2-client`);
    Deno.exit(2);
  }
}
const nginx = await startNginx(Number(values["nginx-workers"]));
try {
  const url = `http://127.0.0.1:${nginx.ports[1]}/`;
  if (values.latency) await latencyMode(url);
  else if (values.memory) await memoryMode(url);
  else if (values.engine) await engineMode(url);
  else await throughputMode(url);
} finally {
  await nginx.stop();
  await Deno.remove(CSV).catch(() => {});
}
