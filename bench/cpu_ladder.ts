/**
 * Where `fast`'s CPU per request above the bare Deno loop goes, layer by
 * layer, in one process: the bare loop (bench/bare_loop.ts's code), then the
 * `fast` client driven by a minimal callback loop (no records), then the
 * closed-loop runner with its records dropped, then the summary, then the
 * CSV (the CLI's path without the CLI). Each layer runs `N` requests at
 * -c 20 against the same server, the layers in a rotated order each round,
 * and the figure is this process's user + sys CPU (`process.cpuUsage()`)
 * per request; the median over the rounds, and each layer's step over the
 * one before it (median of the per-round differences).
 *
 *   deno run --allow-net=127.0.0.1 --allow-read=/tmp --allow-write=/tmp \
 *     --v8-flags=--invocation-count-for-maglev=100,--invocation-count-for-turbofan=500,--max-semi-space-size=4 \
 *     bench/cpu_ladder.ts URL [ROUNDS] [N] [--tree DIR]
 *
 * `--tree DIR` loads tailgate's modules from another checkout (a `git
 * archive` of an older commit), to compare trees layer by layer.
 *
 * @module
 */
import process from "node:process";
import { median } from "./_rounds.ts";

const args = Deno.args.filter((a, i, all) => a !== "--tree" && all[i - 1] !== "--tree");
const treeAt = Deno.args.indexOf("--tree");
const tree = treeAt >= 0 ? Deno.args[treeAt + 1]! : new URL("..", import.meta.url).pathname;
const [url, roundsArg, nArg] = args;
if (url === undefined) {
  console.error("usage: cpu_ladder.ts URL [ROUNDS] [N] [--tree DIR]");
  Deno.exit(2);
}
const rounds = Math.min(50, Number(roundsArg ?? 8));
const n = Math.min(5_000_000, Number(nArg ?? 200_000));
const C = 20;

interface Outcome {
  endMs: number;
}
interface Client {
  sendThen(req: unknown, done: (o: Outcome) => void, startedMs?: number): void;
  close(): Promise<void>;
}
const root = tree.endsWith("/") ? tree : tree + "/";
const { createFastClient } = await import(`${root}lib/client/fast.ts`) as {
  createFastClient(o: { concurrency: number; timeoutMs: number }): Client;
};
const { runClosed } = await import(`${root}lib/load/runner.ts`);
const { collect } = await import(`${root}lib/records/collect.ts`);
const { CsvWriter } = await import(`${root}lib/records/csv_writer.ts`);
const { SummaryBuilder } = await import(`${root}lib/stats/summary.ts`);
const { warmUpFast } = await import(`${root}lib/load/warm_up.ts`);

const u = new URL(url);
const req = { url, method: "GET", headers: [], body: null };

/** bench/bare_loop.ts's loop, for `n` requests over C connections. */
async function bare(): Promise<void> {
  const bytes = new TextEncoder().encode(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`,
  );
  let left = n;
  const loop = async () => {
    const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port || 80) });
    conn.setNoDelay(true);
    const buf = new Uint8Array(64 * 1024);
    try {
      while (left > 0) {
        left--;
        await conn.write(bytes);
        let have = 0;
        let need = -1;
        while (need < 0 || have < need) {
          const r = await conn.read(need < 0 ? buf.subarray(have) : buf);
          if (r === null) throw new Error("closed");
          have += r;
          if (need < 0) {
            const end = headEnd(buf, have);
            if (end >= 0) need = end + 2; // nginx's "ok"
          }
        }
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: C }, loop));
}

function headEnd(buf: Uint8Array, k: number): number {
  for (let i = 3; i < k; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** The fast client under a callback loop of its own: no runner, no records. */
async function client(): Promise<void> {
  const c = createFastClient({ concurrency: C, timeoutMs: 10_000 });
  let left = n;
  await new Promise<void>((resolve) => {
    let running = C;
    const loop = () => {
      const done = (o: Outcome) => {
        if (left-- > 0) c.sendThen(req, done, o.endMs);
        else if (--running === 0) resolve();
      };
      left--;
      c.sendThen(req, done);
    };
    for (let i = 0; i < C; i++) loop();
  });
  await c.close();
}

async function runner(): Promise<void> {
  const c = createFastClient({ concurrency: C, timeoutMs: 10_000 });
  await runClosed({ client: c, requestFor: () => req, concurrency: C, requests: n }).forEach(
    () => {},
  );
  await c.close();
}

async function summary(): Promise<void> {
  const c = createFastClient({ concurrency: C, timeoutMs: 10_000 });
  await collect(runClosed({ client: c, requestFor: () => req, concurrency: C, requests: n }), {
    builder: new SummaryBuilder(n),
  });
  await c.close();
}

async function csv(): Promise<void> {
  const c = createFastClient({ concurrency: C, timeoutMs: 10_000 });
  const path = `/tmp/tailgate_cpu_ladder_${Deno.pid}.csv`;
  const w = await CsvWriter.create(path);
  await collect(runClosed({ client: c, requestFor: () => req, concurrency: C, requests: n }), {
    csv: w,
    builder: new SummaryBuilder(n),
  });
  await w.close();
  await c.close();
  await Deno.remove(path);
}

const layers: [string, () => Promise<void>][] = [
  ["bare loop", bare],
  ["+ fast client (callback loop)", client],
  ["+ runner (records dropped)", runner],
  ["+ summary", summary],
  ["+ CSV (the CLI's path)", csv],
];

async function cpu(f: () => Promise<void>): Promise<number> {
  const c0 = process.cpuUsage();
  await f();
  const used = process.cpuUsage(c0);
  return (used.user + used.system) / n;
}

await warmUpFast();
for (const [, f] of layers) await f(); // every layer's code optimized before round 1
const per: number[][] = layers.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = layers.map((_, i) => (i + r) % layers.length);
  if (r % 2 === 1) order.reverse();
  for (const i of order) per[i]!.push(await cpu(layers[i]![1]));
  console.log(
    `round ${r + 1}: ` + per.map((p, i) => `${layers[i]![0]} ${p[r]!.toFixed(2)}`).join(", "),
  );
}
console.log(`\nCPU µs per request, median of ${rounds} rounds of ${n} requests at -c ${C}:`);
for (let i = 0; i < layers.length; i++) {
  const step = i === 0 ? null : median(per[i]!.map((v, r) => v - per[i - 1]![r]!))!;
  console.log(
    `  ${layers[i]![0].padEnd(32)} ${median(per[i]!)!.toFixed(2).padStart(6)}` +
      (step === null ? "" : `   step ${step >= 0 ? "+" : ""}${step.toFixed(2)}`) +
      `   vs bare ${median(per[i]!.map((v, r) => v / per[0]![r]!))!.toFixed(3)}x`,
  );
}
