/**
 * JUnit XML for CI systems: each SLA rule (per run) and each A/B comparison
 * becomes a `<testcase>`, so Jenkins, GitLab, GitHub Actions reporters and
 * others show tailgate's verdicts natively. Format only: verdicts arrive
 * computed (`confidence.ts`, `bootstrap.ts`).
 *
 * Mapping (a decision, documented in the README):
 * - SLA `pass` → passed; `fail` → `<failure type="sla_fail">`;
 *   `inconclusive` → `<skipped>` with the reason (bounds, or the minimum
 *   sample size). Skipped, not failed, because "not enough evidence" is not
 *   evidence of a breach; CI shows it as its own state, and tailgate's exit
 *   code 3 still stops a pipeline that requires a verdict.
 * - Comparison: one test case per comparison, judged by its headline
 *   metric (as the CLI verdict is). `regressed` → `<failure type="regressed">`
 *   (unless `regressionIsFailure` is false); `improved` and
 *   `no significant difference` → passed. The per-metric table goes to
 *   `<system-out>`.
 *
 * @module
 */
import { fmtLevel } from "./_format.ts";
import type { BootstrapComparison } from "../stats/bootstrap.ts";
import type { SlaVerdict } from "../stats/confidence.ts";

/** One SLA rule's verdict for one run. */
export type JunitSlaCase = SlaVerdict & { rule: string; run: string };

/** One comparison, with the two runs' names. */
export type JunitComparisonCase = BootstrapComparison & { baseline: string; candidate: string };

/** Everything the JUnit report holds. */
export interface JunitReportInput {
  /** Name of the `<testsuites>` element; default `tailgate`. */
  name?: string;
  /** ISO 8601 time supplied by the caller (the renderer reads no clock). */
  timestamp?: string;
  sla?: JunitSlaCase[];
  comparisons?: JunitComparisonCase[];
  /** Whether a `regressed` comparison is a `<failure>`; default true. */
  regressionIsFailure?: boolean;
}

/** Escapes text for XML content and attributes, dropping characters XML 1.0 forbids. */
function xml(s: string): string {
  return s
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(
      /[&<>"']/g,
      (c) =>
        ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string,
    );
}

function ms(v: number | null): string {
  return v === null ? "none" : `${Number(v.toFixed(3))} ms`;
}

function slaDetail(c: JunitSlaCase): string {
  const level = c.confidence === null
    ? "point estimate (confidence off)"
    : `${fmtLevel(c.confidence)} one-sided bounds`;
  return `point ${ms(c.point)}, lower bound ${ms(c.lower)}, upper bound ${
    ms(c.upper)
  }, n = ${c.n}, ${level}`;
}

interface Case {
  classname: string;
  name: string;
  outcome: "passed" | "failure" | "skipped";
  type?: string;
  message?: string;
  out: string;
}

function slaCase(c: JunitSlaCase): Case {
  const base = { classname: `tailgate.sla.${c.run}`, name: c.rule, out: slaDetail(c) };
  if (c.verdict === "pass") return { ...base, outcome: "passed" };
  if (c.verdict === "fail") {
    return {
      ...base,
      outcome: "failure",
      type: "sla_fail",
      message: `${c.rule} failed: ${slaDetail(c)}`,
    };
  }
  const why = c.minSamples === undefined
    ? "the limit lies between the confidence bounds"
    : c.minSamples === null
    ? "no sample size gives the bound this rule needs"
    : `too few samples for a bound: ${c.n} measured, ${c.minSamples} needed`;
  return {
    ...base,
    outcome: "skipped",
    message: `${c.rule} inconclusive: ${why}; ${slaDetail(c)}`,
  };
}

function comparisonCase(c: JunitComparisonCase, regressionIsFailure: boolean): Case {
  const rows = c.metrics.map((m) =>
    `${m.metric}: ${ms(m.a)} -> ${ms(m.b)}, delta ${ms(m.delta)}` +
    `${m.relative === null ? "" : ` (${(m.relative * 100).toFixed(1)}%)`}, ` +
    `${fmtLevel(c.confidence)} interval [${ms(m.lower)}, ${ms(m.upper)}]: ${m.verdict}`
  ).join("\n");
  const head = c.metrics.find((m) => m.metric === c.primary);
  const summary = `${c.candidate} vs ${c.baseline} on ${c.primary}: ${c.verdict}` +
    (head ? ` (delta ${ms(head.delta)}, interval [${ms(head.lower)}, ${ms(head.upper)}])` : "");
  const base = {
    classname: "tailgate.compare",
    name: `${c.candidate} vs ${c.baseline} (${c.primary})`,
    out:
      `${summary}\n${rows}\nblock bootstrap: ${c.resamples} resamples, seed ${c.seed}, block lengths ${c.blockLength.a}/${c.blockLength.b}`,
  };
  if (c.verdict === "regressed" && regressionIsFailure) {
    return { ...base, outcome: "failure", type: "regressed", message: summary };
  }
  return { ...base, outcome: "passed" };
}

function suite(name: string, cases: Case[], timestamp: string | undefined): string {
  const failures = cases.filter((c) => c.outcome === "failure").length;
  const skipped = cases.filter((c) => c.outcome === "skipped").length;
  const body = cases.map((c) => {
    const inner = c.outcome === "failure"
      ? `\n      <failure type="${xml(c.type ?? "failure")}" message="${xml(c.message ?? "")}">${
        xml(c.message ?? "")
      }</failure>`
      : c.outcome === "skipped"
      ? `\n      <skipped message="${xml(c.message ?? "")}"/>`
      : "";
    return `    <testcase classname="${xml(c.classname)}" name="${
      xml(c.name)
    }" time="0">${inner}\n      <system-out>${xml(c.out)}</system-out>\n    </testcase>`;
  }).join("\n");
  const ts = timestamp === undefined ? "" : ` timestamp="${xml(timestamp)}"`;
  return `  <testsuite name="${
    xml(name)
  }" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0"${ts}>\n${body}\n  </testsuite>`;
}

/**
 * Renders SLA verdicts and comparisons as a JUnit XML document.
 *
 * @example
 * ```ts
 * import { renderJunitReport } from "./junit.ts";
 * const xml = renderJunitReport({
 *   sla: [{ rule: "p95<=800ms", run: "optimized", verdict: "pass", point: 420, lower: 400,
 *     upper: 450, n: 1000, confidence: 0.95 }],
 * });
 * xml.includes('<testcase classname="tailgate.sla.optimized" name="p95&lt;=800ms"'); // true
 * ```
 */
export function renderJunitReport(input: JunitReportInput): string {
  const sla = (input.sla ?? []).map(slaCase);
  const cmp = (input.comparisons ?? []).map((c) =>
    comparisonCase(c, input.regressionIsFailure ?? true)
  );
  const all = [...sla, ...cmp];
  const suites = [
    sla.length ? suite("tailgate SLA", sla, input.timestamp) : "",
    cmp.length ? suite("tailgate comparison", cmp, input.timestamp) : "",
  ].filter((s) => s !== "");
  const failures = all.filter((c) => c.outcome === "failure").length;
  const skipped = all.filter((c) => c.outcome === "skipped").length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${
    xml(input.name ?? "tailgate")
  }" tests="${all.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">
${suites.join("\n")}
</testsuites>
`;
}
