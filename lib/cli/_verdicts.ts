/**
 * Helpers the verdict-producing commands share (`report`, `compare`,
 * `suite`, `bench`): the `--confidence` and `--sla` options, loading a
 * run as a usage error on bad input, and SLA verdicts as report rows.
 */
import { type LoadedRun, loadRun, type LoadWants } from "../records/load_run.ts";
import type { HtmlSlaLine } from "../report/html.ts";
import type { JunitSlaCase } from "../report/junit.ts";
import { fmtValue } from "../report/text.ts";
import type { BootstrapComparison } from "../stats/bootstrap.ts";
import type { SlaResult, SlaRule } from "../stats/sla.ts";
import { checkScopes, parseScopedRule, type ScopedRule } from "../stats/scoped_sla.ts";
import { positiveInt, str, type Values } from "./_args.ts";
import { UsageError } from "./_usage_error.ts";

/** Parses `--confidence 95%`, `0.95`, `99` or `off`. */
export function confidenceOption(text: string): number | "off" {
  if (text.trim().toLowerCase() === "off") return "off";
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  let v = m ? Number(m[1]) : NaN;
  if (m && (m[2] === "%" || v > 1)) v /= 100;
  if (!(v > 0.5 && v < 1)) {
    throw new UsageError(
      `Invalid value for --confidence: "${text}"; use a level between 50% and 100% such as 95%, or off`,
    );
  }
  return v;
}

/** The A/B bootstrap settings from `--seed`, `--resamples` and `--confidence` (no `off`). */
export function bootstrapOptions(
  values: Values,
  seedFlag = "seed",
): { seed: number; resamples: number; confidence: number } {
  const seed = positiveInt(`--${seedFlag}`, str(values, seedFlag) ?? "1", true);
  if (seed > 0xffff_ffff) {
    throw new UsageError(`Invalid value for --${seedFlag}: "${seed}" is above 4294967295`);
  }
  const resamples = positiveInt("--resamples", str(values, "resamples") ?? "2000");
  if (resamples < 100 || resamples > 100_000) {
    throw new UsageError(
      `Invalid value for --resamples: "${resamples}" is out of range; use 100 to 100000 (default 2000)`,
    );
  }
  const c = confidenceOption(str(values, "confidence") ?? "95%");
  return { seed, resamples, confidence: c === "off" ? 0.95 : c };
}

/**
 * {@linkcode loadRun} for a command: a missing file, a directory or bad
 * content becomes a one-line {@linkcode UsageError}.
 */
export async function readRun(path: string, wants: LoadWants = {}): Promise<LoadedRun> {
  try {
    return await loadRun(path, wants);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`Cannot read ${path}: file not found; check the path`);
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`Cannot read ${path}: it is a directory; pass a CSV file`);
    }
    if (err instanceof SyntaxError) throw new UsageError(err.message);
    throw err;
  }
}

/** The one line for a run with no measured request: no data is no verdict (exit 3). */
export function noDataLine(run: Pick<LoadedRun, "path" | "format">): string {
  const what = run.format === "k6" || run.format === "k6-json"
    ? "no http_req_duration samples"
    : run.format === "hey"
    ? "only a header"
    : "only a header, or only warm-up rows";
  // hey leaves out every request that got no response: a header alone can mean they all failed.
  const hey = run.format === "hey"
    ? "; hey writes only requests that got a response, so every request may have failed (check hey's own summary)"
    : "";
  return `${run.path} holds no measured request (${what}): nothing to judge, so no verdict${hey}`;
}

/**
 * Parses SLA rules, each plain (`p95<=800ms`, all requests pooled) or scoped
 * to a target (`infer:p95<=800ms`), as a UsageError on a bad one.
 */
export function parseRules(texts: string[]): ScopedRule[] {
  return texts.map((t) => {
    try {
      return parseScopedRule(t);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
}

/** The mean's verdict, for the attribution text. */
export function meanVerdict(
  b: BootstrapComparison | null,
): { meanVerdict?: BootstrapComparison["verdict"] } {
  const m = b?.metrics.find((x) => x.metric === "mean");
  return m ? { meanVerdict: m.verdict } : {};
}

/** One line naming a run's detected format and its caveats. */
export function formatLine(run: Pick<LoadedRun, "path" | "format" | "notes">): string {
  const notes = run.notes.length ? `; ${run.notes.join("; ")}` : "";
  const kind = run.format === "k6-json" ? "k6 JSON" : `${run.format} CSV`;
  return `${run.path}: ${kind} (detected)${notes}`;
}

/**
 * SLA results as rows for the HTML and JUnit reports. Those show values in
 * ms, so a rule in another unit (error rate, throughput) carries its
 * measured value in its name instead.
 */
export function slaRows(results: readonly SlaResult[], run: string, n: number): JunitSlaCase[] {
  return results.map((r) => {
    const ms = r.unit === "ms";
    const c = r.confidence;
    const row: JunitSlaCase = {
      rule: ms ? r.rule : `${r.rule} (measured ${fmtValue(r.value, r.unit, "none")})`,
      run,
      verdict: r.verdict,
      point: ms ? r.value : null,
      lower: c?.lower ?? null,
      upper: c?.upper ?? null,
      n: c?.n ?? n,
      confidence: c?.level ?? null,
    };
    if (c?.minSamples !== undefined) row.minSamples = c.minSamples;
    return row;
  });
}

/**
 * Refuses a scoped rule whose target is not among `names`, listing them
 * (exit 2, before anything is sent).
 */
export function checkRuleScopes(rules: readonly ScopedRule[], names: readonly string[]): void {
  try {
    checkScopes(rules, names);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * The HTML report's limit lines: the latency rules on whole requests (a
 * phase rule judges another quantity than the chart shows).
 *
 * @example
 * ```ts ignore
 * slaLines(parseRules(["p95<=800ms", "ttfb.p95<=300ms"])); // [{ label: "p95<=800ms", limitMs: 800 }]
 * ```
 */
export function slaLines(rules: readonly SlaRule[]): HtmlSlaLine[] {
  return rules.filter((r) => r.kind === "latency" && r.phase === null).map((r) => ({
    label: r.text,
    limitMs: r.limit,
  }));
}
