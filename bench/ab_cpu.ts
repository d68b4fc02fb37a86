/**
 * A/B of the CLI's CPU per request (`tailgate bench --client fast`, CSV on)
 * against nginx on loopback: variant A and B alternate (A B, B A, A B, …)
 * for `--rounds` rounds, and the report is each variant's median user + sys
 * µs per request (a one-request run's start-up taken off) and the median
 * of the per-round B/A ratios. A variant is a source tree (a `git archive`
 * of a commit) and the `--v8-flags` it runs with. The way each step of
 * docs/performance.md was costed.
 *
 *   deno run -A bench/ab_cpu.ts --a-tree /tmp/before --b-tree . [--a-flags F] [--b-flags F]
 *     [--a-args "--workers 2"] [--b-args ...] [--rounds 6] [--duration 4s] [--concurrency 20]
 *
 * Start-up is measured per variant as a run of as many requests as the
 * largest whole number in its extra arguments (1 by default; 2 for
 * `--workers 2`, one per thread) at -c 2.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../lib/duration.ts";
import { cpuPerRequest } from "./_cpu.ts";
import { median } from "./_rounds.ts";
import { benchV8Flags, startNginx, tailgateBench } from "./_tools.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "a-tree": { type: "string", default: "." },
    "b-tree": { type: "string", default: "." },
    "a-flags": { type: "string" },
    "b-flags": { type: "string" },
    "a-args": { type: "string", default: "" },
    "b-args": { type: "string", default: "" },
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "4s" },
    concurrency: { type: "string", default: "20" },
  },
});
const rounds = Number(values.rounds);
const secs = Math.max(1, Math.round(parseDuration(values.duration!) / 1000));
const here = new URL("..", import.meta.url).pathname;
const tree = (t: string) => t === "." ? here : t;
const flags = async (f: string | undefined, t: string) =>
  f === undefined ? await benchV8Flags(t) : [`--v8-flags=${f}`];
const variants = [
  {
    name: "A",
    tree: tree(values["a-tree"]!),
    v8: await flags(values["a-flags"], tree(values["a-tree"]!)),
    args: values["a-args"]!.split(" ").filter(Boolean),
  },
  {
    name: "B",
    tree: tree(values["b-tree"]!),
    v8: await flags(values["b-flags"], tree(values["b-tree"]!)),
    args: values["b-args"]!.split(" ").filter(Boolean),
  },
];
const nginx = await startNginx(1);
const url = `http://127.0.0.1:${nginx.ports[0]}/`;
const cpu: Record<string, number[]> = { A: [], B: [] };
try {
  const startup: Record<string, { userS: number; sysS: number }> = {};
  for (const v of variants) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(
        await tailgateBench(
          url,
          ["--client", "fast", "-n", "1", "-c", "1"],
          60_000,
          false,
          v.tree,
          v.v8,
        ),
      );
    }
    startup[v.name] = {
      userS: median(runs.map((r) => r.userS))!,
      sysS: median(runs.map((r) => r.sysS))!,
    };
  }
  console.log(`start-up CPU s: A ${JSON.stringify(startup.A)}, B ${JSON.stringify(startup.B)}`);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = await tailgateBench(
        url,
        ["--client", "fast", "-c", values.concurrency!, "-d", `${secs}s`, ...v.args],
        secs * 1000 + 60_000,
        false,
        v.tree,
        v.v8,
      );
      const m = cpuPerRequest(r, r.requests, startup[v.name]!);
      const c = (m.user_us ?? NaN) + (m.sys_us ?? NaN);
      cpu[v.name]!.push(c);
      console.log(
        `round ${round + 1} ${v.name}: ${Math.round(r.rps ?? 0)} req/s, CPU ${
          c.toFixed(2)
        } µs/req (${m.user_us?.toFixed(2)} + ${m.sys_us?.toFixed(2)})`,
      );
    }
  }
} finally {
  await nginx.stop();
}
const ratios = cpu.A!.map((a, i) => cpu.B![i]! / a);
console.log(
  `A ${variants[0]!.tree} ${variants[0]!.v8.join(" ")}\nB ${variants[1]!.tree} ${
    variants[1]!.v8.join(" ")
  }\nmedian CPU µs/req: A ${median(cpu.A!)?.toFixed(2)}, B ${
    median(cpu.B!)?.toFixed(2)
  }; B/A per round: ${ratios.map((r) => r.toFixed(3)).join(" ")}; median ${
    median(ratios)?.toFixed(3)
  }`,
);
