/**
 * Alternating rounds for the peer and fidelity benchmarks: every row (a
 * tool) has one or more configurations (wrk -t1 and -t2, ...); each round
 * runs every configuration of every row, in an order rotated from round to
 * round, keeps each row's best configuration of that round, and the report
 * is the median over rounds with the spread (min–max). A busy neighbour then
 * slows every tool a little instead of one tool a lot.
 *
 * @module
 */

/** What one run of a tool measured. */
export interface Measured {
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  requests: number | null;
  errors: number | null;
  /** Anything else worth keeping (p99.9, start lag, ...). */
  extra?: Record<string, number | null>;
  /** User CPU µs per request of the client process (start-up taken off where stated). */
  user_us?: number | null;
  /** System CPU µs per request, as `user_us`. */
  sys_us?: number | null;
}

/** One way to run a tool. */
export interface Config {
  /** Shown in the report, e.g. `-t1`. */
  name: string;
  run(): Promise<Measured>;
}

/** One tool (one row of the report). */
export interface Row {
  tool: string;
  protocol: "h1" | "h2c";
  configs: Config[];
  note: string;
  /** Why the row is not run (a peer is not installed), or undefined. */
  skip?: string | undefined;
}

/** One round's best configuration of a row. */
export interface RoundResult extends Measured {
  config: string;
  round: number;
}

/** A row over all rounds. */
export interface RowResult {
  tool: string;
  protocol: "h1" | "h2c";
  note: string;
  /** Each round's best configuration (by req/s). */
  rounds: RoundResult[];
  /** Every configuration of every round. */
  all: RoundResult[];
  median_rps: number | null;
  min_rps: number | null;
  max_rps: number | null;
  median_p50_ms: number | null;
  median_p99_ms: number | null;
  /** Median over rounds of user + system CPU µs per request; null when not measured. */
  median_cpu_us: number | null;
  median_user_us: number | null;
  median_sys_us: number | null;
  /** How often each configuration was the best. */
  best: Record<string, number>;
}

/** Median of the non-null values (mean of the middle two for an even count), or null. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((
    a,
    b,
  ) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** User + system CPU µs per request of one run, or null when either is unknown. */
export function cpuUs(m: Measured): number | null {
  return m.user_us == null || m.sys_us == null ? null : m.user_us + m.sys_us;
}

function invalid(m: Measured): boolean {
  return m.requests !== null && m.errors !== null && m.errors > m.requests / 2;
}

/**
 * Runs `rounds` alternating rounds over `rows`; `pauseMs` between runs lets
 * sockets in TIME_WAIT and the server settle.
 */
export async function runRounds(
  rows: Row[],
  rounds: number,
  pauseMs: number,
  log: (line: string) => void,
): Promise<RowResult[]> {
  const active = rows.filter((r) => r.skip === undefined);
  const results = new Map<Row, RoundResult[]>(active.map((r) => [r, []]));
  for (let round = 0; round < rounds; round++) {
    const shift = active.length === 0 ? 0 : (round * 3) % active.length;
    const order = [...active.slice(shift), ...active.slice(0, shift)];
    for (const row of order) {
      for (const config of row.configs) {
        let m: Measured;
        try {
          m = await config.run();
        } catch (err) {
          log(`  ${row.tool} ${config.name}: failed: ${(err as Error).message}`);
          m = { rps: null, p50_ms: null, p99_ms: null, requests: null, errors: null };
        }
        results.get(row)!.push({ ...m, config: config.name, round });
        log(
          `  round ${round + 1}/${rounds} ${row.tool} ${config.name}: ${
            m.rps === null ? "-" : Math.round(m.rps).toLocaleString("en-US")
          } req/s, p50 ${m.p50_ms?.toFixed(3) ?? "-"} ms, p99 ${m.p99_ms?.toFixed(3) ?? "-"} ms${
            invalid(m) ? ` (INVALID: ${m.errors} errors)` : ""
          }${
            cpuUs(m) === null
              ? ""
              : `, CPU ${cpuUs(m)!.toFixed(2)} µs/req (${m.user_us!.toFixed(2)} + ${
                m.sys_us!.toFixed(2)
              })`
          }`,
        );
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
  }
  return rows.map((row) => {
    const all = results.get(row) ?? [];
    const best: RoundResult[] = [];
    for (let round = 0; round < rounds; round++) {
      // The best configuration by req/s; a tool that reports no rate (the bare fetch script)
      // has one configuration, which is then the best.
      const candidates = all.filter((r) =>
        r.round === round && !invalid(r) && (r.rps !== null || r.p50_ms !== null)
      );
      candidates.sort((a, b) => (b.rps ?? 0) - (a.rps ?? 0));
      if (candidates[0]) best.push(candidates[0]);
    }
    const rps = best.map((r) => r.rps).filter((r): r is number => r !== null);
    const counts: Record<string, number> = {};
    for (const b of best) counts[b.config] = (counts[b.config] ?? 0) + 1;
    return {
      tool: row.tool,
      protocol: row.protocol,
      note: row.skip ?? row.note,
      rounds: best,
      all,
      median_rps: median(rps),
      min_rps: rps.length ? Math.min(...rps) : null,
      max_rps: rps.length ? Math.max(...rps) : null,
      median_p50_ms: median(best.map((r) => r.p50_ms)),
      median_p99_ms: median(best.map((r) => r.p99_ms)),
      median_cpu_us: median(best.map((r) => cpuUs(r))),
      median_user_us: median(best.map((r) => r.user_us)),
      median_sys_us: median(best.map((r) => r.sys_us)),
      best: counts,
    };
  });
}
