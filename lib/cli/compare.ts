/** `tailgate compare <a.csv> <b.csv>`: A/B deltas of two saved runs. */
import { compareSummaries } from "../compare.ts";
import { formatComparison } from "../report_text.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs } from "./_args.ts";
import { useColor } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import { loadSummary } from "./report.ts";

const OPTIONS: OptionSpecs = {
  json: { type: "boolean", help: "Print the comparison as one JSON object" },
};

/** Help text. */
export const HELP = `Usage: tailgate compare <a.csv> <b.csv> [options]

Compares run B (candidate) with run A (baseline): per-metric latency,
throughput and error-rate changes. Negative latency change = B is faster.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 ok, 2 usage or input error.`;

/** Runs the command; returns the exit code. */
export async function compare(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("compare", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      "compare needs two CSV files: tailgate compare results/latency_baseline.csv results/latency_optimized.csv",
    );
  }
  const [pa, pb] = positionals as [string, string];
  const a = (await loadSummary(pa)).summary();
  const b = (await loadSummary(pb)).summary();
  const improvement = compareSummaries(a, b);
  if (values.json) {
    console.log(JSON.stringify({ baseline: a, candidate: b, improvement }, null, 2));
  } else {
    console.log(formatComparison([pa, pb], a, b, improvement, { color: useColor() }));
  }
  return 0;
}
