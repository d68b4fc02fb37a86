/**
 * CPU per request, the headline cost figure of bench/peers.ts: each tool's
 * user and system CPU time (the shell's `times`: getrusage of the child)
 * divided by the requests it completed, beside its req/s, with ratios to
 * the bare Deno loop (bench/bare_loop.ts, Deno's floor) and to wrk.
 *
 * @module
 */
import { type Measured, median, type RowResult } from "./_rounds.ts";

/** User and system CPU seconds of a process. */
export interface Cpu {
  userS: number;
  sysS: number;
}

/** What a one-request run costs (start-up, compile, warm-up), per Deno tool. */
export interface StartupCpu {
  /** `tailgate bench --client fast -n 1`. */
  cli: Cpu;
  /** `bench/bare_loop.ts` with one request. */
  bare: Cpu;
}

/**
 * CPU µs per request of one run, less a start-up cost when given; the whole
 * process's figure stays in `extra.cpu_us_with_startup`.
 *
 * @example
 * ```ts
 * import { cpuPerRequest } from "./_cpu.ts";
 * cpuPerRequest({ userS: 1, sysS: 3 }, 1_000_000, null); // { user_us: 1, sys_us: 3, ... }
 * ```
 */
export function cpuPerRequest(
  run: { userS: number | null; sysS: number | null },
  requests: number | null,
  startup: Cpu | null,
): Pick<Measured, "user_us" | "sys_us" | "extra"> {
  if (run.userS === null || run.sysS === null || !requests) return { user_us: null, sys_us: null };
  const u = run.userS - (startup?.userS ?? 0);
  const s = run.sysS - (startup?.sysS ?? 0);
  return {
    user_us: (u * 1e6) / requests,
    sys_us: (s * 1e6) / requests,
    extra: { cpu_us_with_startup: ((run.userS + run.sysS) * 1e6) / requests },
  };
}

const f = (n: number | null, d = 2) => n === null ? "-" : n.toFixed(d);

/** Per-round ratio of two rows' CPU per request, paired by round; median and range. */
function paired(a: RowResult | undefined, b: RowResult | undefined): number[] {
  if (!a || !b) return [];
  const out: number[] = [];
  for (const x of a.rounds) {
    const y = b.rounds.find((r) => r.round === x.round);
    const cx = x.user_us != null && x.sys_us != null ? x.user_us + x.sys_us : null;
    const cy = y?.user_us != null && y.sys_us != null ? y.user_us + y.sys_us : null;
    if (cx !== null && cy !== null && cy > 0) out.push(cx / cy);
  }
  return out;
}

/**
 * Prints the CPU-per-request table (rows that measured it) and the check
 * `fast` CLI ≤ 1.10× the bare loop; returns its lines for the JSON report.
 */
export function printCpuTable(
  target: string,
  rows: RowResult[],
  startup: StartupCpu,
): Record<string, unknown>[] {
  const bare = rows.find((r) => r.tool === "bare loop");
  const wrk = rows.find((r) => r.tool === "wrk");
  console.log(
    `\nCPU per request (user + system µs, median of ${
      bare?.rounds.length ?? 0
    } rounds; the bare loop and fast less a one-request run's start-up, other CLI rows with theirs: CLI ${
      f(startup.cli.userS + startup.cli.sysS, 3)
    } s, bare ${f(startup.bare.userS + startup.bare.sysS, 3)} s)`,
  );
  console.log(
    "tool               median req/s   CPU µs/req  (user + sys)      with start-up  vs floor   vs wrk",
  );
  const out: Record<string, unknown>[] = [];
  for (const r of rows) {
    if (r.median_cpu_us === null) continue;
    const withStartup = median(r.rounds.map((x) => x.extra?.cpu_us_with_startup));
    const vsFloor = bare?.median_cpu_us ? r.median_cpu_us / bare.median_cpu_us : null;
    const vsWrk = wrk?.median_cpu_us ? r.median_cpu_us / wrk.median_cpu_us : null;
    console.log(
      `${r.tool.padEnd(18)} ${
        (r.median_rps === null ? "-" : Math.round(r.median_rps).toLocaleString("en-US")).padStart(
          13,
        )
      }   ${f(r.median_cpu_us).padStart(10)}  (${f(r.median_user_us)} + ${f(r.median_sys_us)})`
        .padEnd(66) +
        `${f(withStartup).padStart(10)} ${(f(vsFloor) + "x").padStart(9)} ${
          (f(vsWrk) + "x").padStart(8)
        }`,
    );
    out.push({
      target,
      tool: r.tool,
      median_rps: r.median_rps,
      cpu_us: r.median_cpu_us,
      user_us: r.median_user_us,
      sys_us: r.median_sys_us,
      cpu_us_with_startup: withStartup,
      vs_floor: vsFloor,
      vs_wrk: vsWrk,
    });
  }
  const fast = rows.find((r) => r.tool === "fast");
  if (fast?.median_cpu_us != null && bare?.median_cpu_us) {
    const ratio = fast.median_cpu_us / bare.median_cpu_us;
    const p = paired(fast, bare);
    const line = `fast CLI (CSV on) / bare loop, CPU per request = ${
      f(ratio)
    }x (target <= 1.10x): ${ratio <= 1.1 ? "met" : "MISSED"}; per round: ${
      p.map((x) => f(x)).join(", ")
    }`;
    console.log(`  ${line}`);
    out.push({ target, check: line, ratio, per_round: p, startup });
  }
  return out;
}
