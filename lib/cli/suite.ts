/**
 * `tailgate suite [url]` (what `deno task run` calls): flags, then
 * {@linkcode runSuite} (`lib/load/suite_run.ts`) against the built-in mock
 * or the user's URL, then the verdict first and the reports in the out dir.
 *
 * @module
 */
import { probeProtocol } from "../client/probe.ts";
import { PROFILES } from "../client/types.ts";
import { runSuite, type SuiteClient } from "../load/suite_run.ts";
import {
  durationOption,
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  str,
  strs,
  type Values,
} from "./_args.ts";
import { translateHabits } from "./_habits.ts";
import { LADDER_HELP, LADDER_OPTIONS, ladderPoolSize, ladderSuite } from "./_ladder.ts";
import { MOCK_OPTIONS, mockConfigFromValues, serveMock } from "./_mock_flags.ts";
import { decideProtocol, type ProtocolDecision } from "./_protocol.ts";
import { REQUEST_OPTIONS, requestFromFlags } from "./_request.ts";
import { claimSuiteFiles, createSuiteStage } from "./_suite_files.ts";
import { suiteOutput } from "./_suite_output.ts";
import { announcedStopSignals } from "./_signals.ts";
import { UsageError } from "./_usage_error.ts";
import { bootstrapOptions, confidenceOption, parseRules } from "./_verdicts.ts";

const { timeout: _timeout, ...URL_REQUEST_OPTIONS } = REQUEST_OPTIONS;

const OPTIONS: OptionSpecs = {
  requests: { type: "string", short: "n", arg: "N", default: "400", help: "Requests per client" },
  concurrency: {
    type: "string",
    short: "c",
    arg: "C",
    default: "20",
    help: "Requests in flight per client",
  },
  baseline: {
    type: "string",
    arg: "PROFILE",
    default: "baseline",
    help: `The baseline client (${PROFILES.join(", ")}; see tailgate bench --help)`,
  },
  candidate: {
    type: "string",
    arg: "PROFILE",
    default: "optimized",
    help: "The candidate client, compared with the baseline and gated on the SLA",
  },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "SLA rule on the candidate run (repeatable; default p95<=800ms)",
  },
  confidence: {
    type: "string",
    arg: "LEVEL|off",
    default: "95%",
    help: "Confidence of the SLA verdict and the intervals; off gates on the point value",
  },
  interleave: {
    type: "boolean",
    help:
      "Run the clients in alternating blocks (ABAB…), the default against a URL; against the mock the default is one after the other",
  },
  sequential: {
    type: "boolean",
    help: "Run the clients one after the other, also against a URL",
  },
  block: {
    type: "string",
    arg: "N",
    default: "50",
    help: "Requests per block when interleaved",
  },
  "fail-on-regression": {
    type: "boolean",
    help: "Exit 1 when the candidate is significantly slower than the baseline (P95); with " +
      "--ladder, when any step is",
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
  verbose: {
    type: "boolean",
    short: "v",
    help: "Also print the tables, the bootstrap details and the attribution",
  },
  quiet: { type: "boolean", short: "q", help: "Print only the verdicts" },
  ...URL_REQUEST_OPTIONS,
  timeout: {
    type: "string",
    arg: "DURATION",
    help: "Per-request timeout (default 10s against a URL, 30s against the mock)",
  },
  ...LADDER_OPTIONS,
  ...MOCK_OPTIONS,
};

/** Help text. */
export const HELP = `Usage: tailgate suite [url] [options]

The A/B chain in one command: runs a baseline client and a candidate client
(defaults: baseline and optimized; --baseline/--candidate PROFILE) with
identical requests, checks that both sent the same requests, compares them
(block bootstrap over time, verdict on P95), and gates the candidate on the
SLA. It prints the verdicts first (--verbose adds the tables, the bootstrap
details and the attribution).

Without a url: against the built-in mock on 127.0.0.1 (one configuration
for every run); the mock checks server-side that both clients sent the same
requests, counts their connections, and the difference is split into
connection setup and everything else.

With a url (your own API): the same request options as bench (-m, -H,
--secret-header, --body, --content-type, --timeout, --ca-cert). There is no
server-side digest against a URL: identity is checked client-side (a digest
of every request each client was handed), which the report says. The
clients run interleaved by default (ABAB… blocks of --block requests, each
block drained before the next): a real server drifts (load, caches, other
tenants), and one after the other the drift lands on one client alone. On
the mock with a slowdown injected mid-run, sequential runs called the
unchanged client "regressed" (+186 ms at P95) while interleaved runs
correctly found no significant difference (docs/suite.md, suite --interleave).
--sequential runs one client after the other anyway.

Writes <out-dir>/latency_baseline.csv (the baseline run),
latency_optimized.csv (the candidate run, whatever its profile), each with a
.meta.json naming its client, protocol and request digest,
comparison_report.json and report.html (and --junit FILE when asked).

${LADDER_HELP}

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 SLA met, 1 SLA failed (or a regression with
--fail-on-regression), 2 usage or input error, 3 inconclusive (not enough
data to decide the SLA), 4 the run failed (the candidate had no success, or
the clients did not send identical requests), 130 interrupted (Ctrl-C or
SIGTERM: what was measured is written, every file marked PARTIAL).`;

const REQUEST_FLAGS = ["method", "header", "secret-header", "body", "content-type", "ca-cert"];

function profileOption(values: Values, flag: "baseline" | "candidate"): string {
  const p = str(values, flag)!;
  if (!(PROFILES as readonly string[]).includes(p)) {
    throw new UsageError(`Unknown --${flag} profile "${p}": use one of ${PROFILES.join(", ")}`);
  }
  return p;
}

/** Runs the command; returns the exit code. */
export async function suite(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "suite",
    translateHabits(args, { durationFlag: false }),
    OPTIONS,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `suite takes at most one URL, got ${positionals.length} arguments ("${
        positionals[1]
      }"…): quote values that contain spaces`,
    );
  }
  const urlArg = positionals[0];
  const given = (f: string) => values[f] !== undefined;
  if (urlArg === undefined) {
    const stray = REQUEST_FLAGS.find(given);
    if (stray) {
      throw new UsageError(
        `--${stray} applies to suite <url> only (the mock's requests are fixed): add a URL, or drop --${stray}`,
      );
    }
  } else {
    const stray = Object.keys(MOCK_OPTIONS).find(given);
    if (stray) {
      throw new UsageError(
        `--${stray} configures the built-in mock, which suite <url> does not use: drop --${stray}, or drop the URL`,
      );
    }
  }
  if (values.interleave === true && values.sequential === true) {
    throw new UsageError("Cannot combine --interleave with --sequential: keep one of them");
  }
  const requests = positiveInt("--requests", str(values, "requests")!);
  const concurrency = positiveInt("--concurrency", str(values, "concurrency")!);
  const profiles = {
    baseline: profileOption(values, "baseline"),
    optimized: profileOption(values, "candidate"),
  };
  const ruleTexts = strs(values, "sla");
  const rules = parseRules(ruleTexts.length ? ruleTexts : ["p95<=800ms"]);
  const confidence = confidenceOption(str(values, "confidence")!);
  const boot = bootstrapOptions(
    { ...values, confidence: confidence === "off" ? "95%" : String(confidence) },
    "bootstrap-seed",
  );
  const interleave = values.interleave === true ||
    (urlArg !== undefined && values.sequential !== true);
  const block = positiveInt("--block", str(values, "block")!);
  const failOnRegression = values["fail-on-regression"] === true;
  const outDir = str(values, "out-dir")!;
  const junitPath = str(values, "junit");
  const mockConfig = urlArg === undefined ? mockConfigFromValues(values) : null;
  const timeoutText = str(values, "timeout");
  const timeoutMs = timeoutText !== undefined
    ? durationOption("--timeout", timeoutText)
    : urlArg === undefined
    ? 30_000
    : 10_000;
  const target = urlArg === undefined ? null : await requestFromFlags(urlArg, values);
  const poolSize = ladderPoolSize(values, concurrency);
  const quiet = values.quiet === true;
  const verbose = values.verbose === true && !quiet;
  const progress = (s: string) => verbose && console.log(s);
  const files = await claimSuiteFiles(outDir, junitPath, target?.request.url ?? null);
  // Ctrl-C / SIGTERM: stop sending, keep what was measured, write it all marked PARTIAL, exit 130.
  const signals = announcedStopSignals("suite", timeoutMs);
  const stage = await createSuiteStage(outDir, files);
  try {
    const stop = { stageDir: stage.stage, signal: signals.stop, hardStop: signals.hard };
    if (values.ladder === true) {
      const code = await ladderSuite({
        target: target
          ? { request: target.request, caCerts: target.caCerts, redactor: target.redactor }
          : null,
        requests,
        concurrency,
        block,
        poolSize,
        rules,
        confidence,
        bootstrap: boot,
        outDir,
        htmlPath: files.html,
        junitPath,
        mockConfig,
        scenario: str(values, "scenario"),
        failOnRegression,
        timeoutMs,
        log: (line: string) => quiet || console.log(line),
        ...stop,
        stage,
        family: files.family,
        interrupted: () => signals.received,
      });
      return signals.interrupted ? 130 : code;
    }
    const decisions: Partial<Record<"baseline" | "optimized", ProtocolDecision>> = {};
    const outcome = await runSuite({
      ...(target ? { url: { request: target.request, caCerts: target.caCerts } } : {
        startMock: () => {
          const server = serveMock({ ...mockConfig!, port: 0 });
          progress(
            `mock: ${server.url} (seed ${mockConfig!.seed}, rtt ${mockConfig!.rttMs}ms, setup ${
              mockConfig!.setupRtts
            } RTT)`,
          );
          return server;
        },
      }),
      chooseClients: async (apiUrl) => {
        const probe = await probeProtocol(apiUrl, {
          timeoutMs: Math.min(timeoutMs, 2000),
          ...(target?.caCerts.length ? { caCerts: target.caCerts } : {}),
        });
        const scheme = new URL(apiUrl).protocol === "https:" ? "https:" : "http:";
        const out = {} as Record<"baseline" | "optimized", SuiteClient>;
        for (const role of ["baseline", "optimized"] as const) {
          const d = decideProtocol(profiles[role], true, scheme, probe, concurrency);
          decisions[role] = d;
          if (d.warning) console.error(`tailgate suite: ${d.warning}`);
          out[role] = { profile: d.client, protocol: d.protocol };
        }
        return out;
      },
      requests,
      concurrency,
      interleave,
      block,
      outDir,
      timeoutMs,
      rules,
      confidence,
      bootstrap: boot,
      failOnRegression,
      log: progress,
      ...stop,
    });
    const interrupted = signals.received;
    const { baseline: measuredA, optimized: measuredB } = outcome.summaries;
    if (interrupted !== null && measuredA.count + measuredB.count === 0) {
      console.error(
        `tailgate suite: ${interrupted}: stopped before any request completed; ${outDir} was left as it was`,
      );
      return 130;
    }
    await suiteOutput(outcome, {
      target,
      decisions,
      files,
      junitPath,
      mockConfig,
      requests,
      concurrency,
      interleave,
      block,
      timeoutMs,
      rules,
      confidence,
      failOnRegression,
      quiet,
      verbose,
      stage,
      interrupted,
    });
    return signals.interrupted ? 130 : outcome.exitCode;
  } finally {
    signals.dispose();
    await stage.discard(); // nothing left of it after a commit; the previous run's files otherwise
  }
}
