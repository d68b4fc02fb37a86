/**
 * `tailgate suite` (what `deno task run` calls): flags, then
 * {@linkcode runSuite} (`lib/load/suite_run.ts`) against the built-in mock,
 * then the reports in results/.
 *
 * @module
 */
import { DEFAULT_LADDER_POOL } from "../load/ladder_run.ts";
import { runSuite } from "../load/suite_run.ts";
import {
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  str,
  strs,
} from "./_args.ts";
import { claimOutput } from "./_files.ts";
import { ladderSuite } from "./_ladder.ts";
import { MOCK_OPTIONS, mockConfigFromValues, serveMock } from "./_mock_flags.ts";
import { suiteOutput } from "./_suite_output.ts";
import { UsageError } from "./_usage_error.ts";
import { bootstrapOptions, confidenceOption, parseRules } from "./_verdicts.ts";

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
  confidence: {
    type: "string",
    arg: "LEVEL|off",
    default: "95%",
    help: "Confidence of the SLA verdict and the intervals; off gates on the point value",
  },
  interleave: {
    type: "boolean",
    help: "Run the profiles in alternating blocks (ABAB…) instead of one after the other",
  },
  block: {
    type: "string",
    arg: "N",
    default: "50",
    help: "Requests per block with --interleave",
  },
  "fail-on-regression": {
    type: "boolean",
    help: "Exit 1 when optimized is significantly slower than baseline (P95)",
  },
  "bootstrap-seed": {
    type: "string",
    arg: "N",
    default: "1",
    help: "Seed of the comparison's bootstrap resampling",
  },
  resamples: { type: "string", arg: "N", default: "2000", help: "Bootstrap resamples" },
  junit: { type: "string", arg: "FILE", help: "Also write the verdicts as JUnit XML" },
  "out-dir": {
    type: "string",
    arg: "DIR",
    default: "results",
    help: "Where the CSVs and reports go",
  },
  quiet: { type: "boolean", short: "q", help: "Print only the verdict" },
  ladder: {
    type: "boolean",
    help: "Run the client ladder instead: no reuse, a small keep-alive pool, a pool sized to " +
      "the concurrency, HTTP/2, in interleaved blocks (see below)",
  },
  pool: {
    type: "string",
    arg: "N",
    help: `Idle connections kept by the ladder's small-pool rung (default: ${DEFAULT_LADDER_POOL})`,
  },
  ...MOCK_OPTIONS,
};

/** Help text. */
export const HELP = `Usage: tailgate suite [options]

Starts the built-in mock on 127.0.0.1 (one configuration for every run),
runs the baseline profile (plain fetch) and the optimized profile (HTTP/2 +
keep-alive pool sized to the concurrency) with identical requests, checks
server-side that both runs sent the same requests, compares them (block
bootstrap over time, verdict on P95), splits the difference into connection
setup and everything else, and gates on the SLA for the optimized run.

By default the profiles run one after the other. With --interleave they run
in alternating blocks (baseline block 1, optimized block 1, baseline block
2, …; each block drains before the next starts) against the same mock, so
drift in the server or the machine hits both alike. Both clients stay open
across blocks. The mock is not reset between blocks (its service times
keep drawing fresh values); its cumulative /stats is read at every block
boundary, and each block's share (requests, connections opened, request
digest) is the difference, summed per profile.

Writes <out-dir>/latency_baseline.csv, latency_optimized.csv,
comparison_report.json and report.html (and --junit FILE when asked).

With --ladder it runs four clients instead, each one client change away from
the previous, in interleaved blocks of --block requests against the same
mock: 1. no-reuse (fast engine, a new connection per request); 2. small-pool
(keep-alive, at most --pool idle connections; default ${DEFAULT_LADDER_POOL} as Python
requests' pool_maxsize, Go keeps 2); 3. keep-alive (idle pool sized to the
concurrency); 4. http2 (fast-h2, one connection; optimized when fast-h2 is
missing). Per rung: connections opened (mock /stats), P50/P95/P99, the SLA;
per step: the change of P50/P95/P99 with its block-bootstrap interval, a
verdict, and the part connection setup explains. Writes latency_<rung>.csv,
comparison_report.json (keys ladder and steps) and report.html; the exit
code follows the SLA of the last rung.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 SLA met, 1 SLA failed (or a regression with
--fail-on-regression), 2 usage or input error, 3 inconclusive (not enough
data to decide the SLA), 4 the run failed.`;

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
  const confidence = confidenceOption(str(values, "confidence")!);
  const boot = bootstrapOptions(
    { ...values, confidence: confidence === "off" ? "95%" : String(confidence) },
    "bootstrap-seed",
  );
  const interleave = values.interleave === true;
  const block = positiveInt("--block", str(values, "block")!);
  const failOnRegression = values["fail-on-regression"] === true;
  const outDir = str(values, "out-dir")!;
  const junitPath = str(values, "junit");
  const mockConfig = mockConfigFromValues(values);
  const ladder = values.ladder === true;
  const poolText = str(values, "pool");
  if (poolText !== undefined && !ladder) {
    throw new UsageError("--pool sets the ladder's small pool: use it with --ladder");
  }
  const poolSize = poolText === undefined
    ? Math.min(DEFAULT_LADDER_POOL, concurrency - 1)
    : positiveInt("--pool", poolText, true);
  if (ladder && poolSize >= concurrency) {
    throw new UsageError(
      `Invalid value for --pool: ${poolSize} is not below --concurrency ${concurrency}; the small pool must keep fewer idle connections than requests in flight`,
    );
  }
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
  const htmlPath = `${outDir}/report.html`;
  await claimOutput(htmlPath, "report");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");
  if (ladder) {
    return await ladderSuite({
      requests,
      concurrency,
      block,
      poolSize,
      rules,
      confidence,
      bootstrap: boot,
      outDir,
      htmlPath,
      junitPath,
      mockConfig,
      scenario: str(values, "scenario"),
      failOnRegression,
      timeoutMs,
      log,
    });
  }

  const run = { requests, concurrency, interleave, block, outDir, timeoutMs, rules, confidence };
  const outcome = await runSuite({
    ...run,
    startMock: () => {
      const server = serveMock({ ...mockConfig, port: 0 });
      log(
        `mock: ${server.url} (seed ${mockConfig.seed}, rtt ${mockConfig.rttMs}ms, setup ${mockConfig.setupRtts} RTT)`,
      );
      return server;
    },
    bootstrap: boot,
    failOnRegression,
    log,
  });
  await suiteOutput(outcome, { ...run, htmlPath, junitPath, mockConfig, failOnRegression, log });
  return outcome.exitCode;
}
