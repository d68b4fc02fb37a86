/**
 * The CPU per request of tailgate's own pipeline with no network: `bench`'s
 * run (`runBench`: the closed-loop runner, the CSV writer, the summary, the
 * progress counter) driving a stand-in client that answers every request at
 * once with a fixed 200 response and fresh timestamps. No socket, no kernel,
 * no server, so what varies between two trees is only their JavaScript, and
 * a 2 % change shows where a whole-process run against nginx (±10 % a round
 * on this machine) cannot.
 *
 * A/B of two source trees (each a `git archive` of a commit, or `.`), in
 * alternating rounds, each round a fresh process per tree:
 *
 *   deno run -A bench/pipeline_cost.ts --a-tree /tmp/before --b-tree . [--rounds 8] [--requests 2000000]
 *
 * Prints each round's µs per request (user + system CPU of the process from
 * getrusage (`process.cpuUsage()`), less the same for a 1,000-request run: start-up and
 * compiles), then the medians and the median of the B/A ratios. The stand-in
 * client completes requests from a microtask, so the whole run is one
 * stretch of JavaScript; a real engine's own cost (reading, parsing) is not
 * in it: `bench/ab_cpu.ts` measures the whole.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { median } from "./_rounds.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "a-tree": { type: "string", default: "." },
    "b-tree": { type: "string", default: "." },
    rounds: { type: "string", default: "8" },
    requests: { type: "string", default: "2000000" },
    child: { type: "string" },
  },
});

/** user + system CPU seconds of this process so far (getrusage, through node:process). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** One measured run inside this process, from the tree at `tree`: prints `{"cpu_s":…}`. */
async function child(tree: string, requests: number): Promise<void> {
  const root = new URL(tree.endsWith("/") ? tree : tree + "/", `file://${Deno.cwd()}/`);
  const { runBench } = await import(new URL("lib/load/bench_run.ts", root).href);
  const { CsvWriter } = await import(new URL("lib/records/csv_writer.ts", root).href);
  const { ProgressLine } = await import(new URL("lib/report/progress.ts", root).href);
  const { now } = await import(new URL("lib/clock.ts", root).href);
  let conns = 0;
  /** Answers each request from a microtask: a 200 with a 2-byte body, timed as it goes. */
  const client = {
    name: "stand-in",
    send(): Promise<unknown> {
      throw new TypeError("the stand-in client only answers sendThen()");
    },
    sendThen(_req: unknown, done: (o: unknown) => void, startedMs?: number): void {
      const start = startedMs ?? now();
      const conn = (conns++ % 20) + 1;
      queueMicrotask(() => {
        const end = now();
        done({
          startedMs: start,
          endMs: end,
          ttfbMs: end - start,
          status: 200,
          bytes: 2,
          error: "",
          connectMs: null,
          tlsMs: null,
          firstBodyMs: end - start,
          conn,
        });
      });
    },
    close: () => Promise.resolve(),
  };
  const progress = new ProgressLine({
    stream: { isTerminal: () => false, writeSync: (p: Uint8Array) => p.length },
    enabled: false,
    total: requests,
    durationMs: null,
  });
  const csvPath = await Deno.makeTempFile({
    dir: "/tmp",
    prefix: "tailgate-pipeline-",
    suffix: ".csv",
  });
  const before = cpuSeconds();
  const result = await runBench({
    plan: {
      model: "closed",
      requests,
      durationMs: undefined,
      concurrency: 20,
      rate: 0,
      offsetMs: 0,
      arrivals: null,
      seed: 1,
      maxInFlight: 20,
      dropAfterMs: Infinity,
      pacer: "timers",
      warmup: null,
      shard: null,
      startAt: null,
    },
    client,
    request: { url: "http://127.0.0.1:1/", method: "GET", headers: [], body: null },
    signal: new AbortController().signal,
    hardStop: new AbortController().signal,
    openCsv: () => CsvWriter.create(csvPath, { atomic: true }),
    meta: null,
    warmUp: false,
    onRecord: (r: unknown) => progress.record(r),
  });
  result.builder.summary();
  const cpu = (cpuSeconds()) - before;
  await Deno.remove(csvPath).catch(() => {});
  console.log(JSON.stringify({ cpu_s: cpu, rows: result.csv?.rows ?? 0 }));
}

async function run(tree: string, requests: number): Promise<number> {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      "--allow-write=/tmp",
      "--v8-flags=--invocation-count-for-maglev=100,--invocation-count-for-turbofan=500,--max-semi-space-size=4",
      new URL(import.meta.url).pathname,
      "--child",
      tree,
      "--requests",
      String(requests),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`child failed: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
  }
  const doc = JSON.parse(text.split("\n").pop()!);
  if (doc.rows !== requests) throw new Error(`child wrote ${doc.rows} rows, not ${requests}`);
  return doc.cpu_s;
}

if (values.child !== undefined) {
  await child(values.child, Number(values.requests));
} else {
  const n = Number(values.requests);
  const rounds = Number(values.rounds);
  const trees = { A: values["a-tree"]!, B: values["b-tree"]! };
  const base: Record<string, number> = {};
  for (const [name, tree] of Object.entries(trees)) {
    base[name] = median([await run(tree, 1000), await run(tree, 1000), await run(tree, 1000)])!;
  }
  const us: Record<string, number[]> = { A: [], B: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["A", "B"] : ["B", "A"];
    for (const name of order) {
      const cpu = await run(trees[name as "A" | "B"], n);
      const v = (cpu - base[name]!) * 1e6 / (n - 1000);
      us[name]!.push(v);
      console.log(`round ${r + 1} ${name}: ${v.toFixed(3)} µs/req`);
    }
  }
  const ratios = us.A!.map((a, i) => us.B![i]! / a);
  console.log(
    `A ${trees.A}, B ${trees.B}: median µs/req A ${median(us.A!)!.toFixed(3)}, B ${
      median(us.B!)!.toFixed(3)
    }; B/A per round ${ratios.map((x) => x.toFixed(3)).join(" ")}; median ${
      median(ratios)!.toFixed(3)
    }`,
  );
}
