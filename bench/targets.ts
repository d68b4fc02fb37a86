/**
 * The targets file's done-when figures (`deno task bench:targets`): a
 * server on 127.0.0.2 with three endpoints, `/fast`, `/other` and `/slow`
 * (60 ms), loaded through the CLI as a user does.
 *
 * 1. Weights: JSON lines 1:1:2, `--mix weighted --seed 7 -n 2000`: the
 *    per-target counts against the 99% binomial range; the same seed again
 *    gives the same sequence (the CSV's target column by request id).
 * 2. Scoped rules: `--sla "slow:p95<=50ms" --sla "p95<=…"` on the three
 *    targets round-robin: the scoped rule fails alone (exit 1), the pooled
 *    rule passes.
 * 3. vegeta's http format: the same targets as JSON lines without weights
 *    and in vegeta's format, one client in a closed loop: the server's log
 *    of (method, path, body) is the same, in the same order.
 * 4. `suite --targets`: the per-target A/B deltas.
 *
 * Prints every figure with the command that made it; writes
 * results/bench-targets.json.
 *
 * @module
 */
import type { RequestRecord } from "../lib/record.ts";
import { readRecordsFile } from "../lib/records/read_records.ts";
import { startTargetsServer } from "../tests/_targets_server.ts";
import { runTailgate } from "./_tools.ts";

const LIMIT_MS = 120_000;

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

/** Runs `tailgate ARGS`; returns its exit code and output (throws on a usage error). */
async function tailgate(args: string[]): Promise<{ code: number; stdout: string }> {
  const r = await runTailgate(args, LIMIT_MS);
  if (r.code === 2 || r.code > 4) {
    throw new Error(`tailgate ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  }
  console.log(`$ tailgate ${args.join(" ")}   (exit ${r.code})`);
  return { code: r.code, stdout: r.stdout };
}

/** The 99% two-sided normal range of a binomial count. */
function range99(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [Math.ceil(n * p - 2.576 * sd), Math.floor(n * p + 2.576 * sd)];
}

const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "bench_targets_" });
const server = startTargetsServer(60);
const U = server.url;
const out: Record<string, unknown> = { server: `${U} (/fast, /other, /slow after 60 ms)` };
try {
  await Deno.writeTextFile(`${dir}/other.json`, '{"q":1}');
  const jsonl = (weights: [number, number, number], named: boolean) =>
    [
      `{${named ? '"name":"fast",' : ""}"url":"${U}/fast","weight":${weights[0]}}`,
      `{${
        named ? '"name":"other",' : ""
      }"method":"POST","url":"${U}/other","body_file":"${dir}/other.json","weight":${weights[1]}}`,
      `{${named ? '"name":"slow",' : ""}"url":"${U}/slow","weight":${weights[2]}}`,
    ].join("\n") + "\n";
  await Deno.writeTextFile(`${dir}/weighted.jsonl`, jsonl([1, 1, 2], true));
  await Deno.writeTextFile(`${dir}/equal.jsonl`, jsonl([1, 1, 1], true));
  await Deno.writeTextFile(`${dir}/unnamed.jsonl`, jsonl([1, 1, 1], false));
  await Deno.writeTextFile(
    `${dir}/vegeta.http`,
    `GET ${U}/fast\n\nPOST ${U}/other\n@${dir}/other.json\n\nGET ${U}/slow\n`,
  );

  // 1. Weights and the seeded sequence.
  const n = 2000;
  const weighted = async (csv: string) => {
    const r = await tailgate([
      "bench",
      "--targets",
      `${dir}/weighted.jsonl`,
      "--mix",
      "weighted",
      "--seed",
      "7",
      "-n",
      String(n),
      "-c",
      "20",
      "-o",
      csv,
      "--json",
      "-",
      "-q",
    ]);
    const seq = (await readAll(csv)).sort((a, b) => a.id - b.id).map((x) => x.target);
    return { doc: JSON.parse(r.stdout), seq };
  };
  const w1 = await weighted(`${dir}/w1.csv`);
  const w2 = await weighted(`${dir}/w2.csv`);
  const counts = Object.fromEntries(
    (w1.doc.targets as { name: string; summary: { count: number } }[]).map((
      t,
    ) => [t.name, t.summary.count]),
  );
  const ranges = { fast: range99(n, 0.25), other: range99(n, 0.25), slow: range99(n, 0.5) };
  const within = Object.entries(ranges).every(([k, [lo, hi]]) =>
    (counts[k] ?? -1) >= lo && (counts[k] ?? -1) <= hi
  );
  const sameSeq = w1.seq.length === w2.seq.length && w1.seq.every((t, i) => t === w2.seq[i]);
  out.weights = { n, counts, ranges99: ranges, within, same_seed_same_sequence: sameSeq };
  console.log(
    `  counts ${JSON.stringify(counts)}; 99% ranges ${JSON.stringify(ranges)}; within: ${within}`,
  );
  console.log(`  same seed, same sequence of ${n}: ${sameSeq}`);

  // 2. Scoped rules: the slow endpoint fails alone, the pooled rule passes.
  const pooledRule = "p95<=100ms";
  const scoped = await tailgate([
    "bench",
    "--targets",
    `${dir}/equal.jsonl`,
    "-n",
    "600",
    "-c",
    "10",
    "--no-csv",
    "-q",
    "--sla",
    "slow:p95<=50ms",
    "--sla",
    "fast:p95<=50ms",
    "--sla",
    "p50<=50ms",
    "--sla",
    pooledRule,
  ]);
  const ruleLines = scoped.stdout.split("\n").filter((l) => /(PASS|FAIL|INCONCLUSIVE)$/.test(l));
  out.scoped = { exit: scoped.code, rules: ruleLines };
  console.log(ruleLines.map((l) => `  ${l}`).join("\n"));

  // 3. vegeta's http format sends the same requests as JSON lines.
  const seenBy = async (file: string) => {
    const from = server.seen.length;
    await tailgate(["bench", "--targets", file, "-n", "300", "-c", "1", "--no-csv", "-q"]);
    return server.seen.slice(from).map((s) => `${s.method} ${s.path} ${s.body}`);
  };
  const a = await seenBy(`${dir}/unnamed.jsonl`);
  const b = await seenBy(`${dir}/vegeta.http`);
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  out.vegeta = { requests: a.length, same_requests_same_order: same };
  console.log(`  JSON lines vs vegeta http, ${a.length} requests each: same, in order: ${same}`);

  // 4. suite --targets: per-target A/B deltas.
  const suite = await tailgate([
    "suite",
    "--targets",
    `${dir}/weighted.jsonl`,
    "--mix",
    "weighted",
    "--seed",
    "7",
    "-n",
    "400",
    "-c",
    "10",
    "--out-dir",
    `${dir}/suite`,
    "--sla",
    "slow:p95<=100ms",
  ]);
  const lines = suite.stdout.split("\n");
  const at = lines.findIndex((l) => l.includes("per target"));
  const table = at < 0 ? [] : lines.slice(at, at + 5);
  out.suite = { exit: suite.code, per_target: table };
  console.log(table.map((l) => `  ${l}`).join("\n"));
} finally {
  await server.close();
  await Deno.remove(dir, { recursive: true });
}
await Deno.mkdir("results", { recursive: true });
await Deno.writeTextFile("results/bench-targets.json", JSON.stringify(out, null, 2) + "\n");
console.log("wrote results/bench-targets.json");
