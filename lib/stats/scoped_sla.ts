/**
 * SLA rules scoped to one target of a targets file: `NAME:RULE`, e.g.
 * `infer:p95<=800ms`. The scope is split off here and the rest goes to
 * {@linkcode parseSlaRule} unchanged, so every metric the rule grammar
 * knows can be scoped. A rule without a scope judges all requests pooled.
 * Pure.
 *
 * @module
 */
import {
  evaluateSla,
  parseSlaRule,
  type PhaseSource,
  type SlaResult,
  type SlaRule,
} from "./sla.ts";
import { type Summary, SummaryBuilder } from "./summary.ts";

/** A rule and the target it judges (`null`: every request, pooled). */
export interface ScopedRule extends SlaRule {
  /** The target name, or `null` for the pooled requests. */
  scope: string | null;
}

/** The result of a scoped rule: its `rule` text keeps the scope (`infer:p95<=800ms`). */
export interface ScopedSlaResult extends SlaResult {
  /** The target judged, or `null` for the pooled requests. */
  target: string | null;
}

/**
 * Parses `NAME:RULE` or a plain rule. The name is everything before the
 * first `:` (target names never hold one), trimmed.
 *
 * @throws {SyntaxError} for an empty scope or a bad rule (from the rule parser).
 *
 * @example
 * ```ts
 * import { parseScopedRule } from "./scoped_sla.ts";
 * const r = parseScopedRule("infer:p95<=800ms");
 * [r.scope, r.metric, r.limit, r.text]; // ["infer", "p95", 800, "infer:p95<=800ms"]
 * ```
 */
export function parseScopedRule(input: string): ScopedRule {
  const i = input.indexOf(":");
  if (i < 0) return { ...parseSlaRule(input), scope: null };
  const scope = input.slice(0, i).trim();
  if (scope === "") {
    throw new SyntaxError(
      `Invalid SLA rule "${input}": nothing before ":"; write TARGET:RULE, e.g. infer:p95<=800ms`,
    );
  }
  const rule = parseSlaRule(input.slice(i + 1));
  return { ...rule, scope, text: `${scope}:${rule.text}` };
}

/**
 * Checks that every scope names a target.
 *
 * @throws {RangeError} naming the unknown scope and listing the target names.
 *
 * @example
 * ```ts
 * import { checkScopes, parseScopedRule } from "./scoped_sla.ts";
 * checkScopes([parseScopedRule("a:p95<=1s")], ["a", "b"]); // no error
 * ```
 */
export function checkScopes(rules: readonly ScopedRule[], names: readonly string[]): void {
  for (const r of rules) {
    if (r.scope === null || names.includes(r.scope)) continue;
    const list = names.length ? names.map((n) => `"${n}"`).join(", ") : "none (no --targets file)";
    throw new RangeError(
      `SLA rule "${r.text}" names no target "${r.scope}"; the targets are: ${list}`,
    );
  }
}

/** What a rule is judged on: a summary and, for confidence and other percentiles, the sorted latencies. */
export interface Judged {
  summary: Summary;
  sorted?: ArrayLike<number>;
  /** The judged requests' phases, for phase rules (`infer:first_body.p95<=500ms`). */
  phases?: PhaseSource;
}

/**
 * What a rule is judged on, from the builder that collected the requests:
 * its summary, sorted latencies and phases.
 *
 * @example
 * ```ts
 * import { judgedOf } from "./scoped_sla.ts";
 * import { SummaryBuilder } from "./summary.ts";
 * judgedOf(new SummaryBuilder()).summary.count; // 0
 * ```
 */
export function judgedOf(b: SummaryBuilder): Judged {
  return { summary: b.summary(), sorted: b.sortedLatencies(), phases: b.phases };
}

/**
 * Evaluates rules: a scoped rule on its target's requests, a plain rule
 * (no `scope`, or `null`) on the pooled ones. A target that sent nothing gives an inconclusive verdict
 * (no data), as an empty run does.
 *
 * @example
 * ```ts
 * import { evaluateScoped, parseScopedRule } from "./scoped_sla.ts";
 * import { summarize } from "./summary.ts";
 * const empty = { summary: summarize([]) };
 * evaluateScoped([parseScopedRule("a:p95<=1s")], empty, () => empty, "off")[0]?.target; // "a"
 * ```
 */
export function evaluateScoped(
  rules: readonly (SlaRule & { scope?: string | null })[],
  pooled: Judged,
  target: (name: string) => Judged | undefined,
  confidence?: number | "off",
): ScopedSlaResult[] {
  return rules.map((r) => {
    const scope = r.scope ?? null;
    const on = scope === null ? pooled : target(scope) ?? judgedOf(new SummaryBuilder());
    return { ...evaluateSla(r, on.summary, on.sorted, confidence, on.phases), target: scope };
  });
}
