/**
 * The two answers in words, for a person reading for five seconds: does the
 * candidate meet the SLA, and is it faster than the baseline? One sign
 * convention everywhere: "faster by X" / "slower by X" with X positive, and
 * the confidence interval of that same amount. Formatting only.
 *
 * @module
 */
import type { BootstrapComparison } from "../stats/bootstrap.ts";
import type { SlaResult } from "../stats/sla.ts";
import { fmtLevel, fmtMs, fmtValue as fmtUnit } from "./_format.ts";

const fmtValue = (v: number | null, unit: SlaResult["unit"]) => fmtUnit(v, unit, "none");

/**
 * One line for one SLA rule: the verdict first, then the evidence (the
 * measured value and the confidence bound that decided it).
 *
 * @example
 * ```ts
 * import { slaSentence } from "./verdict.ts";
 * slaSentence({ rule: "p95<=800ms", metric: "p95", op: "<=", limit: 800, value: 326, passed: true,
 *   verdict: "pass", unit: "ms", confidence: { level: 0.95, n: 400, lower: 322, upper: 432 } }, "optimized");
 * // "PASS  p95<=800ms on optimized: P95 326ms, 95% upper bound 432ms <= 800ms (n=400)"
 * ```
 */
export function slaSentence(r: SlaResult, run: string): string {
  const word = r.verdict === "pass" ? "PASS" : r.verdict === "fail" ? "FAIL" : "INCONCLUSIVE";
  const metric = r.metric.toUpperCase().replace(/_/g, " ");
  const label = r.phase ? `${r.phase.replace(/_/g, " ")} ${metric}` : metric;
  const limit = `${r.op} ${fmtValue(r.limit, r.unit)}`;
  const c = r.confidence;
  let evidence = `${label} ${fmtValue(r.value, r.unit)} ${limit}`;
  if (c && r.value !== null) {
    const level = fmtLevel(c.level);
    if (r.verdict === "pass") {
      evidence = `${label} ${fmtValue(r.value, r.unit)}, ${level} upper bound ${
        fmtValue(c.upper, r.unit)
      } ${limit} (n=${c.n})`;
    } else if (r.verdict === "fail") {
      evidence = `${label} ${fmtValue(r.value, r.unit)}, ${level} lower bound ${
        fmtValue(c.lower, r.unit)
      } breaks ${limit} (n=${c.n})`;
    } else {
      const need = c.minSamples ? `; needs n>=${c.minSamples}` : "";
      evidence = `${label} ${fmtValue(r.value, r.unit)}, ${level} bounds [${
        fmtValue(c.lower, r.unit)
      }, ${fmtValue(c.upper, r.unit)}] straddle ${limit} (n=${c.n}${need})`;
    }
  }
  if (r.note) evidence = r.note;
  return `${word.padEnd(4)}  ${r.rule} on ${run}: ${evidence}`;
}

/**
 * The A/B verdict in words on the primary metric, e.g. `optimized is faster
 * than baseline by 92ms at P95, 95% CI [9.0ms, 171ms]`, or `no significant
 * difference at P95 …`. The interval is of the same amount as the words
 * (the saving when faster, the cost when slower).
 *
 * @example
 * ```ts
 * import { abSentence } from "./verdict.ts";
 * abSentence(["baseline", "optimized"], null); // "no A/B verdict: a run has fewer than 2 successful requests"
 * ```
 */
export function abSentence(names: [string, string], cmp: BootstrapComparison | null): string {
  if (cmp === null) return "no A/B verdict: a run has fewer than 2 successful requests";
  const m = cmp.metrics.find((x) => x.metric === cmp.primary);
  const at = cmp.primary.toUpperCase();
  const level = fmtLevel(cmp.confidence);
  if (!m) return `A/B verdict at ${at}: ${cmp.verdict}`;
  const [a, b] = names;
  // Saving = a − b (positive: b faster); cost = b − a.
  const faster = m.delta < 0;
  const amount = Math.abs(m.delta);
  const lo = faster ? -m.upper : m.lower;
  const hi = faster ? -m.lower : m.upper;
  const ci = `${level} CI [${signedMs(lo)}, ${signedMs(hi)}]`;
  const dir = faster ? "faster" : "slower";
  if (cmp.verdict === "improved" || cmp.verdict === "regressed") {
    return `${b} is ${dir} than ${a} by ${fmtMs(amount)} at ${at}, ${ci}`;
  }
  return `no significant difference at ${at}: ${b} ${
    amount === 0 ? "equals" : `is ${dir} than`
  } ${a}${amount === 0 ? "" : ` by ${fmtMs(amount)}`}, but the ${ci} includes 0`;
}

function signedMs(v: number): string {
  return v < 0 ? `-${fmtMs(-v)}` : fmtMs(v);
}

/**
 * Whether the nearest-rank percentile `p` can be told apart from the
 * maximum with `n` samples: it needs at least one sample above it, i.e.
 * `n × (1 − p/100) >= 1` (p99.9 needs n >= 1000).
 *
 * @example
 * ```ts
 * import { resolvable } from "./verdict.ts";
 * resolvable(99.9, 400); // false
 * resolvable(99, 400); // true
 * ```
 */
export function resolvable(p: number, n: number): boolean {
  return n * (1 - p / 100) >= 1 - 1e-9;
}
