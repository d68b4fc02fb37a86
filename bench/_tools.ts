/**
 * Process and parsing helpers for bench/peers.ts: run a peer with a time
 * limit, find free loopback ports, start nginx and the mock, and read each
 * peer's output into one shape.
 *
 * @module
 */
import { percentile } from "../lib/stats/summary.ts";

/** One peer or profile measured against one target. */
export interface PeerResult {
  target: string;
  tool: string;
  protocol: "h1" | "h2c";
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  requests: number | null;
  errors: number | null;
  ratio_to_wrk: number | null;
  note: string;
}

/** Output of a finished child process. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Whether an executable is on PATH. */
export async function which(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Runs a command to completion, killing it after `limitMs`. */
export async function run(cmd: string, args: string[], limitMs: number): Promise<Ran> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, limitMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    timedOut,
  };
}

/** A finished child with the CPU time it used. */
export interface TimedRun extends Ran {
  /** User CPU seconds of the child (and its children), from the shell's `times`; null if unread. */
  userS: number | null;
  /** System CPU seconds, as `userS`. */
  sysS: number | null;
}

/**
 * Runs a command through `sh` followed by `times`, so the child's user and
 * system CPU time (getrusage of the waited-for child, 10 ms ticks) come back
 * with its output. CPU per request is steadier than req/s on a shared machine.
 *
 * @example
 * ```ts ignore
 * const r = await runTimed("wrk", ["-t1", "-c20", "-d4s", url], 30_000);
 * r.userS! + r.sysS!;
 * ```
 */
export async function runTimed(cmd: string, args: string[], limitMs: number): Promise<TimedRun> {
  const r = await run(
    "sh",
    ["-c", '"$@"; status=$?; times >&2; exit $status', "sh", cmd, ...args],
    limitMs,
  );
  const lines = r.stderr.trimEnd().split("\n");
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1) ?? "");
  return {
    ...r,
    stderr: lines.slice(0, -2).join("\n"),
    userS: m ? Number(m[1]) * 60 + Number(m[2]) : null,
    sysS: m ? Number(m[3]) * 60 + Number(m[4]) : null,
  };
}

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until a TCP port accepts connections (bounded: `limitMs`). */
export async function waitForPort(port: number, limitMs: number): Promise<void> {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`Port ${port} did not open within ${limitMs} ms`);
}

/** A started background server. */
export interface Started {
  ports: number[];
  stop(): Promise<void>;
}

/** Starts nginx from bench/nginx.conf in a temp prefix; loopback only. */
export async function startNginx(workers: number): Promise<Started> {
  const prefix = await Deno.makeTempDir({ dir: "/tmp", prefix: "tailgate-nginx-" });
  const h1 = freePort();
  const h2 = freePort();
  const template = await Deno.readTextFile(new URL("./nginx.conf", import.meta.url));
  const conf = template.replaceAll("{{PREFIX}}", prefix).replaceAll("{{H1_PORT}}", String(h1))
    .replaceAll("{{H2_PORT}}", String(h2)).replaceAll("{{WORKERS}}", String(workers));
  await Deno.writeTextFile(`${prefix}/nginx.conf`, conf);
  const child = new Deno.Command("nginx", {
    args: ["-p", prefix, "-c", `${prefix}/nginx.conf`, "-e", `${prefix}/error.log`],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  try {
    await waitForPort(h1, 5000);
    await waitForPort(h2, 5000);
  } catch (err) {
    child.kill("SIGKILL");
    const { stderr } = await child.output();
    throw new Error(`nginx did not start: ${new TextDecoder().decode(stderr).trim()}`, {
      cause: err,
    });
  }
  return {
    ports: [h1, h2],
    async stop() {
      await stopChild(child, "SIGQUIT");
      await Deno.remove(prefix, { recursive: true }).catch(() => {});
    },
  };
}

/** Asks a child to stop with `signal`, kills it after 3 s if it has not, and waits for it. */
async function stopChild(child: Deno.ChildProcess, signal: Deno.Signal): Promise<void> {
  try {
    child.kill(signal);
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 3000);
  await child.output();
  clearTimeout(timer);
}

/**
 * Starts `tailgate serve` in its own process, serving every request in a
 * fixed `serviceMs` (default: no added latency).
 */
export async function startMock(serviceMs = 0.001): Promise<Started> {
  const port = freePort();
  const main = new URL("../main.ts", import.meta.url).pathname;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      main,
      "serve",
      "--port",
      String(port),
      "--rtt-ms",
      "0",
      "--setup-rtts",
      "0",
      "--service-median-ms",
      String(serviceMs),
      "--service-sigma",
      "0",
      "--slow-rate",
      "0",
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  try {
    await waitForPort(port, 15000);
  } catch (err) {
    child.kill("SIGKILL");
    const { stderr } = await child.output();
    throw new Error(`The mock did not start: ${new TextDecoder().decode(stderr).trim()}`, {
      cause: err,
    });
  }
  return {
    ports: [port],
    stop: () => stopChild(child, "SIGTERM"),
  };
}

/** Milliseconds from a wrk/hey style value with a unit (`181.00us`, `1.2ms`, `0.5s`). */
export function toMs(value: number, unit: string): number {
  switch (unit) {
    case "us":
      return value / 1000;
    case "ms":
      return value;
    case "s":
    case "secs":
      return value * 1000;
    case "m":
      return value * 60_000;
    default:
      throw new SyntaxError(`Cannot read a latency: unknown unit "${unit}"`);
  }
}

/** Reads `wrk --latency` output. */
export function parseWrk(
  text: string,
): Pick<PeerResult, "rps" | "p50_ms" | "p99_ms" | "requests" | "errors"> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
    return m ? toMs(Number(m[1]), m[2]!) : null;
  };
  const total = /(\d+) requests in/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errors = (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) +
    (non2xx ? Number(non2xx[1]) : 0);
  return {
    rps: rps ? Number(rps[1]) : null,
    p50_ms: pct("50"),
    p99_ms: pct("99"),
    requests: total ? Number(total[1]) : null,
    errors,
  };
}

/** Reads `hey` output. */
export function parseHey(
  text: string,
): Pick<PeerResult, "rps" | "p50_ms" | "p99_ms" | "requests" | "errors"> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const pct = (p: string) => {
    const m = new RegExp(`${p}% in ([\\d.]+) secs`).exec(text);
    return m ? Number(m[1]) * 1000 : null;
  };
  let requests = 0;
  for (const m of text.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) requests += Number(m[2]);
  let errors = 0;
  for (const m of text.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) {
    if (Number(m[1]) >= 400) errors += Number(m[2]);
  }
  const errSection = /Error distribution:\n([\s\S]*)$/.exec(text);
  if (errSection) { for (const m of errSection[1]!.matchAll(/\[(\d+)\]/g)) errors += Number(m[1]); }
  return {
    rps: rps ? Number(rps[1]) : null,
    p50_ms: pct("50"),
    p99_ms: pct("99"),
    requests,
    errors,
  };
}

/** Reads h2load's summary plus its `--log-file` (for percentiles, which h2load does not print). */
export function parseH2load(
  text: string,
  log: string,
): Pick<PeerResult, "rps" | "p50_ms" | "p99_ms" | "requests" | "errors"> {
  const rps = /finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(text);
  const req =
    /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/
      .exec(text);
  const lines = log.split("\n");
  const lat = new Float64Array(lines.length);
  let n = 0;
  for (const line of lines) {
    const f = line.split("\t");
    if (f.length < 3) continue;
    const us = Number(f[2]);
    if (Number.isFinite(us)) lat[n++] = us / 1000;
  }
  const sorted = lat.subarray(0, n).sort();
  return {
    rps: rps ? Number(rps[1]) : null,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    requests: req ? Number(req[2]) : null,
    errors: req ? Number(req[4]) + Number(req[5]) + Number(req[6]) : null,
  };
}

/** Reads `autocannon -j` output. */
export function parseAutocannon(
  text: string,
): Pick<PeerResult, "rps" | "p50_ms" | "p99_ms" | "requests" | "errors"> {
  const start = text.indexOf("{");
  const j = JSON.parse(text.slice(start));
  const total = Number(j.requests?.total ?? 0);
  const duration = Number(j.duration ?? 0);
  return {
    rps: duration > 0 ? total / duration : null,
    p50_ms: j.latency?.p50 ?? null,
    p99_ms: j.latency?.p99 ?? null,
    requests: total,
    errors: Number(j.errors ?? 0) + Number(j.timeouts ?? 0) + Number(j.non2xx ?? 0),
  };
}

/**
 * Runs `tailgate ARGS` through `deno run main.ts` as the docs show it, with the network granted to
 * `net` only (a host the tasks' loopback permission does not cover, by default) and reads and
 * writes to /tmp; the caller judges the exit code.
 *
 * @example
 * ```ts ignore
 * const r = await runTailgate(["bench", url, "-n", "100"], 60_000);
 * r.code; // 0 when every SLA rule passed
 * ```
 */
export function runTailgate(args: string[], limitMs: number, net = "127.0.0.2"): Promise<Ran> {
  const repo = new URL("..", import.meta.url).pathname;
  return run("deno", [
    "run",
    "--quiet",
    `--allow-net=${net}`,
    `--allow-read=${repo},/tmp`,
    "--allow-write=/tmp",
    `${repo}main.ts`,
    ...args,
  ], limitMs);
}

/** What `tailgate bench --json` wrote, as the benchmarks read it. */
export interface TailgateRun {
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
  requests: number | null;
  errors: number | null;
  /** The CSV it wrote (deleted by {@linkcode tailgateBench} unless `keepCsv`). */
  csv: string | null;
  /** The whole `--json` document. */
  json: Record<string, unknown>;
  /** User and system CPU seconds of the whole process (start-up included). */
  userS: number | null;
  sysS: number | null;
}

/**
 * The `--v8-flags=…` argument of `deno task bench` in deno.json (earlier JIT tier-up), so the
 * benchmarks run tailgate exactly as the task does; empty when the task has none. `tree`: the
 * checkout whose deno.json to read (this one by default).
 */
export async function benchV8Flags(
  tree: string = new URL("..", import.meta.url).pathname,
): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${tree.replace(/\/$/, "")}/deno.json`));
  const flag = String(config.tasks?.bench ?? "").split(" ").find((a) =>
    a.startsWith("--v8-flags=")
  );
  return flag === undefined ? [] : [flag];
}

/**
 * Runs `tailgate bench URL ARGS` through the CLI in a fresh process, exactly
 * as a user does (CSV on unless ARGS say `--no-csv`), and reads its `--json`.
 * The CSV goes to /tmp and is deleted after, unless `keepCsv`.
 */
export async function tailgateBench(
  url: string,
  args: string[],
  limitMs: number,
  keepCsv = false,
  tree: string = new URL("..", import.meta.url).pathname,
  v8Flags?: string[],
): Promise<TailgateRun> {
  const repo = tree.endsWith("/") ? tree : tree + "/";
  const main = `${repo}main.ts`;
  const base = await Deno.makeTempFile({ dir: "/tmp", prefix: "tailgate-bench-" });
  const csv = args.includes("--no-csv") ? null : `${base}.csv`;
  const json = `${base}.json`;
  try {
    const r = await runTimed(
      "deno",
      [
        "run",
        "--allow-net=127.0.0.1",
        `--allow-read=${repo},/tmp`,
        "--allow-write=/tmp",
        ...(v8Flags ?? await benchV8Flags(repo)),
        main,
        "bench",
        url,
        "--quiet",
        "--json",
        json,
        ...(csv === null ? [] : ["--out", csv]),
        ...args,
      ],
      limitMs,
    );
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(await Deno.readTextFile(json));
    } catch {
      throw new Error(
        `tailgate bench wrote no JSON (exit ${r.code}): ${
          (r.stderr || r.stdout).trim().slice(-300)
        }`,
      );
    }
    const s = doc.summary as Record<string, number | null>;
    return {
      rps: s.throughput_rps ?? null,
      p50_ms: s.p50_ms ?? null,
      p99_ms: s.p99_ms ?? null,
      p999_ms: s.p999_ms ?? null,
      requests: s.count ?? null,
      errors: s.errors ?? null,
      csv: keepCsv ? csv : null,
      json: doc,
      userS: r.userS,
      sysS: r.sysS,
    };
  } finally {
    await Deno.remove(base).catch(() => {});
    await Deno.remove(json).catch(() => {});
    if (csv !== null && !keepCsv) await Deno.remove(csv).catch(() => {});
    if (csv !== null && !keepCsv) await Deno.remove(`${csv}.meta.json`).catch(() => {});
  }
}
