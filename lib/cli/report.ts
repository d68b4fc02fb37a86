/** `tailgate report <file.csv>`: the summary of a saved run. */
import { readRecordBatches } from "../read_records.ts";
import { formatSlaResults, formatSummary } from "../report_text.ts";
import { evaluateSla, parseSlaRule, type SlaRule } from "../sla.ts";
import { type Summary, SummaryBuilder } from "../stats.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs, strs } from "./_args.ts";
import { useColor } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";

const OPTIONS: OptionSpecs = {
  json: { type: "boolean", help: "Print the summary as one JSON object" },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "Gate on a rule, e.g. p95<=800ms (repeatable)",
  },
};

/** Help text. */
export const HELP = `Usage: tailgate report <file.csv> [options]

Summarizes a saved run (a CSV written by tailgate bench). Latency statistics
cover successful requests (status 200-399); percentiles are nearest-rank.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 ok (all rules pass), 1 an SLA rule failed, 2 usage or input error.`;

/** Reads a CSV into a SummaryBuilder, turning input problems into UsageErrors. */
export async function loadSummary(path: string): Promise<SummaryBuilder> {
  const b = new SummaryBuilder();
  try {
    for await (const batch of readRecordBatches(path)) for (const r of batch) b.add(r);
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
  return b;
}

/** Parses SLA rules, as a UsageError on a bad one. */
export function parseRules(texts: string[]): SlaRule[] {
  return texts.map((t) => {
    try {
      return parseSlaRule(t);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
}

/** Runs the command; returns the exit code. */
export async function report(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("report", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      "report needs exactly one CSV file: tailgate report results/latency_optimized.csv",
    );
  }
  const rules = parseRules(strs(values, "sla"));
  const path = positionals[0]!;
  const b = await loadSummary(path);
  const summary: Summary = b.summary();
  const sorted = b.sortedLatencies();
  const results = rules.map((r) => evaluateSla(r, summary, sorted));
  if (values.json) {
    console.log(JSON.stringify(rules.length ? { ...summary, sla: results } : summary, null, 2));
  } else {
    const style = { color: useColor() };
    console.log(formatSummary(path, summary, style));
    if (results.length) console.log("\n" + formatSlaResults(results, style));
  }
  return results.every((r) => r.passed) ? 0 : 1;
}
