/**
 * `tailgate suite` (what `deno task run` calls): serve the mock on loopback,
 * run the baseline profile, then the optimized profile with identical
 * requests, compare, gate on the SLA, and write results/.
 */
import { serveMock } from "../../mock/server.ts";
import { createClient, type HttpRequest } from "../client.ts";
import { collect } from "../collect.ts";
import { compareSummaries } from "../compare.ts";
import { CsvWriter } from "../csv_writer.ts";
import { formatComparison, formatSlaResults } from "../report_text.ts";
import { runClosed } from "../runner.ts";
import { evaluateSla } from "../sla.ts";
import type { Summary } from "../stats.ts";
import {
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  str,
  strs,
} from "./_args.ts";
import { MOCK_OPTIONS, mockConfigFromValues } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import { parseRules } from "./report.ts";

const OPTIONS: OptionSpecs = {
  requests: { type: "string", short: "n", arg: "N", default: "400", help: "Requests per profile" },
  concurrency: {
    type: "string",
    short: "c",
    arg: "C",
    default: "20",
    help: "Requests in flight per profile",
  },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "SLA rule on the optimized run (repeatable; default p95<=800ms)",
  },
  "out-dir": {
    type: "string",
    arg: "DIR",
    default: "results",
    help: "Where the CSVs and report go",
  },
  quiet: { type: "boolean", short: "q", help: "Print only the verdict" },
  ...MOCK_OPTIONS,
};

/** Help text. */
export const HELP = `Usage: tailgate suite [options]

Starts the built-in mock on 127.0.0.1 (one configuration for every run),
runs the baseline profile (plain fetch) and then the optimized profile
(HTTP/2 + keep-alive pool sized to the concurrency) with identical requests,
checks server-side that both runs sent the same requests, compares them and
gates on the SLA for the optimized run.

Writes <out-dir>/latency_baseline.csv, latency_optimized.csv and
comparison_report.json.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 SLA met, 1 SLA failed, 2 usage or input error, 4 the run failed.`;

const encoder = new TextEncoder();

/** The suite's request for id `i`: a small inference-like JSON payload, identical across profiles. */
export function suiteRequest(url: string, i: number): HttpRequest {
  const body = encoder.encode(JSON.stringify({
    id: i,
    model: "mock-1",
    prompt: `Summarize ticket #${i} in one sentence.`,
    max_tokens: 64,
  }));
  return { url, method: "POST", headers: [["content-type", "application/json"]], body };
}

/** Runs the command; returns the exit code. */
export async function suite(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("suite", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const requests = positiveInt("--requests", str(values, "requests")!);
  const concurrency = positiveInt("--concurrency", str(values, "concurrency")!);
  const ruleTexts = strs(values, "sla");
  const rules = parseRules(ruleTexts.length ? ruleTexts : ["p95<=800ms"]);
  const outDir = str(values, "out-dir")!;
  const mockConfig = mockConfigFromValues(values);
  const quiet = values.quiet === true;
  const log = (s: string) => quiet || console.log(s);
  const timeoutMs = 30_000;
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `Cannot create ${outDir}: ${(err as Error).message.split("\n")[0]}; choose --out-dir`,
    );
  }

  const server = serveMock({ ...mockConfig, port: 0 });
  const statsUrl = new URL("/stats", server.url).href;
  const apiUrl = new URL("/api", server.url).href;
  const runs: Record<string, { summary: Summary; mock: unknown; csv: string }> = {};
  try {
    log(
      `mock: ${server.url} (seed ${mockConfig.seed}, rtt ${mockConfig.rttMs}ms, setup ${mockConfig.setupRtts} RTT)`,
    );
    for (const profile of ["baseline", "optimized"] as const) {
      await fetch(new URL("/stats/reset", server.url), { method: "POST" }).then((r) =>
        r.body?.cancel()
      );
      const csvPath = `${outDir}/latency_${profile}.csv`;
      const csv = await CsvWriter.create(csvPath);
      const client = createClient(profile, { concurrency, timeoutMs });
      log(`running ${profile}: ${requests} requests, concurrency ${concurrency} …`);
      let builder;
      try {
        builder = await collect(
          runClosed({ client, requestFor: (i) => suiteRequest(apiUrl, i), concurrency, requests }),
          { csv },
        );
      } finally {
        await csv.close();
        await client.close();
      }
      const mock = await (await fetch(statsUrl)).json();
      runs[profile] = { summary: builder.summary(), mock, csv: csvPath };
    }
  } finally {
    await server.close();
  }
  const base = runs.baseline!;
  const opt = runs.optimized!;
  const improvement = compareSummaries(base.summary, opt.summary);
  const results = rules.map((r) => evaluateSla(r, opt.summary));
  const passed = results.every((r) => r.passed);
  const consistency = requestConsistency(base.mock, opt.mock);
  const reportPath = `${outDir}/comparison_report.json`;
  await writeJson(reportPath, {
    baseline: base.summary,
    optimized: opt.summary,
    improvement,
    sla: { rule: results.map((r) => r.rule).join(" && "), passed, rules: results },
    request_consistency: consistency,
    mock: { config: mockConfig, baseline: base.mock, optimized: opt.mock },
    config: { requests, concurrency, timeout_ms: timeoutMs },
  });
  const style = { color: useColor() };
  log("");
  log(formatComparison(["baseline", "optimized"], base.summary, opt.summary, improvement, style));
  log("");
  log(`connections opened: baseline ${conns(base.mock)}, optimized ${conns(opt.mock)}`);
  log(
    `request consistency (server-side digest): ${
      consistency.identical ? "identical" : "DIFFERENT"
    }`,
  );
  log("");
  console.log(formatSlaResults(results, style));
  log(`\nwrote ${base.csv}, ${opt.csv}, ${reportPath}`);
  if (!consistency.identical) {
    console.error(
      "tailgate suite: the two runs did not send identical requests; the comparison is not valid",
    );
    return 4;
  }
  if (opt.summary.successes === 0) return 4;
  return passed ? 0 : 1;
}

type MockStats = { connections?: { opened?: number }; digest?: { value?: string; count?: number } };

function conns(stats: unknown): string {
  const n = (stats as MockStats)?.connections?.opened;
  return n === undefined ? "?" : String(n);
}

function requestConsistency(
  a: unknown,
  b: unknown,
): { identical: boolean; baseline: unknown; optimized: unknown } {
  const da = (a as MockStats)?.digest;
  const db = (b as MockStats)?.digest;
  return {
    identical: da !== undefined && db !== undefined && JSON.stringify(da) === JSON.stringify(db),
    baseline: da ?? null,
    optimized: db ?? null,
  };
}
