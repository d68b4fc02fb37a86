/**
 * The in-process half of `bench/phase_cost.sh`: the code the phases changed
 * (the `fast` client, the closed-loop runner, the CSV writer) from two trees,
 * loaded side by side in one process and run in alternating rounds against
 * the same server; client CPU (user + sys of this process) per request.
 * With `--warm`, each tree's `warmUpFast()` runs first, as `bench` does.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read=BEFORE,AFTER,/tmp --allow-write=/tmp \
 *     bench/_phase_cost_ab.ts BEFORE_DIR AFTER_DIR URL PAIRS N [--warm]
 *
 * @module
 */
import process from "node:process";

interface Tree {
  createFastClient(o: { concurrency: number; timeoutMs: number }): {
    close(): Promise<void>;
  };
  runClosed(o: unknown): unknown;
  collect(records: unknown, o: unknown): Promise<unknown>;
  CsvWriter: { create(path: string): Promise<{ close(): Promise<void> }> };
  warmUpFast(): Promise<void>;
}

const [before, after, url, pairsArg, nArg, warm] = Deno.args;
if (before === undefined || after === undefined || url === undefined) {
  console.error("usage: _phase_cost_ab.ts BEFORE_DIR AFTER_DIR URL PAIRS N [--warm]");
  Deno.exit(2);
}
const pairs = Math.min(100, Number(pairsArg ?? 10));
const n = Math.min(10_000_000, Number(nArg ?? 100_000));

async function load(dir: string): Promise<Tree> {
  const [fast, runner, collect, writer, warmUp] = await Promise.all([
    import(`${dir}/lib/client/fast.ts`),
    import(`${dir}/lib/load/runner.ts`),
    import(`${dir}/lib/records/collect.ts`),
    import(`${dir}/lib/records/csv_writer.ts`),
    import(`${dir}/lib/load/warm_up.ts`),
  ]);
  return { ...fast, ...runner, ...collect, ...writer, ...warmUp } as Tree;
}

const trees = { before: await load(before), after: await load(after) };

/** One run of `n` requests at -c 20 with its CSV; CPU µs per request. */
async function one(t: Tree, tag: string): Promise<number> {
  const client = t.createFastClient({ concurrency: 20, timeoutMs: 10_000 });
  const req = { url, method: "GET", headers: [], body: null };
  const csv = await t.CsvWriter.create(`/tmp/tailgate_phase_cost_${tag}_${Deno.pid}.csv`);
  const c0 = process.cpuUsage();
  await t.collect(
    t.runClosed({ client, requestFor: () => req, concurrency: 20, requests: n }),
    { csv },
  );
  const used = process.cpuUsage(c0);
  await csv.close();
  await client.close();
  await Deno.remove(`/tmp/tailgate_phase_cost_${tag}_${Deno.pid}.csv`);
  return (used.user + used.system) / n;
}

if (warm === "--warm") {
  await trees.before.warmUpFast();
  await trees.after.warmUpFast();
}
// One unmeasured run each: both trees' code optimized before the first pair.
await one(trees.before, "before");
await one(trees.after, "after");
const ratios: number[] = [];
for (let i = 0; i < pairs; i++) {
  const first = i % 2 === 0 ? "before" : "after";
  const x = await one(trees[first], first);
  const second = first === "before" ? "after" : "before";
  const y = await one(trees[second], second);
  const [b, a] = first === "before" ? [x, y] : [y, x];
  ratios.push(a / b);
  console.log(`pair ${i + 1}: before ${b.toFixed(3)} us/req, after ${a.toFixed(3)} us/req`);
}
ratios.sort((p, q) => p - q);
const mid = ratios.length >> 1;
const median = ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
console.log(
  `in-process median pair ratio after/before ${median.toFixed(4)} (${pairs} pairs of ${n})`,
);
