/**
 * `tailgate suite [url]` (what `deno task run` calls): flags, then
 * {@linkcode runSuite} (`lib/load/suite_run.ts`) against the built-in mock
 * or the user's URL, then the verdict first and the reports in the out dir.
 *
 * @module
 */
import { probeProtocol, type ProbeResult } from "../client/probe.ts";
import { originProtocols } from "./_origin_protocols.ts";
import { PROFILES } from "../client/types.ts";
import { runSuite, type SuiteClient } from "../load/suite_run.ts";
import { durationOption, parseCommandArgs, positiveInt, str, strs, type Values } from "./_args.ts";
import { translateHabits } from "./_habits.ts";
import { ladderPoolSize, ladderSuite } from "./_ladder.ts";
import { HELP, OPTIONS, URL_REQUEST_OPTIONS } from "./_suite_options.ts";
import { MOCK_OPTIONS, mockConfigFromValues, serveMock } from "./_mock_flags.ts";
import { decideProtocol, type ProtocolDecision } from "./_protocol.ts";
import { requestFromFlags } from "./_request.ts";
import { claimSuiteFiles, createSuiteStage } from "./_suite_files.ts";
import { suiteOutput } from "./_suite_output.ts";
import { announcedStopSignals } from "./_signals.ts";
import { UsageError } from "./_usage_error.ts";
import { bootstrapOptions, checkRuleScopes, confidenceOption, parseRules } from "./_verdicts.ts";
import { mixOption, targetsDigest, targetsRun, targetsWorkload } from "./_targets.ts";
import { seedOption } from "./_arrival_flags.ts";

export { HELP };

/** The flags that describe the user's requests, refused against the mock. */
const REQUEST_FLAGS = Object.keys(URL_REQUEST_OPTIONS);

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
  const targetsFile = str(values, "targets");
  if (targetsFile !== undefined && urlArg !== undefined) {
    throw new UsageError(
      `Cannot combine a URL with --targets: ${targetsFile} gives the URLs; drop "${urlArg}"`,
    );
  }
  // Against the user's API: one URL, or the targets of a file.
  const external = urlArg !== undefined || targetsFile !== undefined;
  const given = (f: string) => values[f] !== undefined;
  if (!external) {
    const stray = REQUEST_FLAGS.find(given);
    if (stray) {
      throw new UsageError(
        `--${stray} applies to suite <url> only (the mock's requests are fixed): add a URL, or drop --${stray}`,
      );
    }
  } else {
    // With --targets, --seed draws the weighted mix (the mock's seed is unused).
    const stray = Object.keys(MOCK_OPTIONS).find((f) =>
      given(f) && !(f === "seed" && targetsFile !== undefined)
    );
    if (stray) {
      throw new UsageError(
        `--${stray} configures the built-in mock, which suite ${
          urlArg === undefined ? "--targets" : "<url>"
        } does not use: drop --${stray}`,
      );
    }
  }
  const chosen = ["baseline", "candidate"].find((f) =>
    args.some((a) => a === `--${f}` || a.startsWith(`--${f}=`))
  );
  if (values.ladder === true && chosen !== undefined) {
    throw new UsageError(
      `Cannot combine --ladder with --${chosen}: the ladder runs its own four clients (no-reuse, small-pool, keep-alive, http2); drop --${chosen}, or drop --ladder to A/B two profiles`,
    );
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
  const interleave = values.interleave === true || (external && values.sequential !== true);
  const block = positiveInt("--block", str(values, "block")!);
  const failOnRegression = values["fail-on-regression"] === true;
  const outDir = str(values, "out-dir")!;
  const junitPath = str(values, "junit");
  const mockConfig = external ? null : mockConfigFromValues(values);
  const timeoutText = str(values, "timeout");
  const timeoutMs = timeoutText !== undefined
    ? durationOption("--timeout", timeoutText)
    : external
    ? 10_000
    : 30_000;
  if (targetsFile === undefined) mixOption(values); // --mix without --targets is refused
  const hints = { task: "deno task run" };
  const target = targetsFile !== undefined
    ? await targetsWorkload(values, seedOption(values), hints)
    : urlArg === undefined
    ? null
    : { ...await requestFromFlags(urlArg, values), targets: null };
  checkRuleScopes(rules, target?.targets?.names ?? []);
  const poolSize = ladderPoolSize(values, concurrency);
  const quiet = values.quiet === true;
  const verbose = values.verbose === true && !quiet;
  const progress = (s: string) => verbose && console.log(s);
  const urls = target?.targets?.requests.map((r) => r.url) ??
    (target ? [target.request.url] : null);
  const files = await claimSuiteFiles(outDir, junitPath, urls);
  // Ctrl-C / SIGTERM: stop sending, keep what was measured, write it all marked PARTIAL, exit 130.
  const signals = announcedStopSignals("suite", timeoutMs);
  const stage = await createSuiteStage(outDir, files);
  try {
    const stop = { stageDir: stage.stage, signal: signals.stop, hardStop: signals.hard };
    if (values.ladder === true) {
      const code = await ladderSuite({
        target: target
          ? {
            request: target.request,
            caCerts: target.caCerts,
            redactor: target.redactor,
            ...(target.targets ? { targets: targetsRun(target.targets), urls: urls ?? [] } : {}),
          }
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
      ...(target
        ? {
          url: {
            request: target.request,
            caCerts: target.caCerts,
            ...(target.targets ? { targets: targetsRun(target.targets) } : {}),
          },
        }
        : {
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
        const probeOptions = {
          timeoutMs: Math.min(timeoutMs, 2000),
          ...(target?.caCerts.length ? { caCerts: target.caCerts } : {}),
        };
        const probe = await probeProtocol(apiUrl, probeOptions);
        // The other origins are probed once, whichever role asks first; each decides from it.
        const probed = new Map<string, Promise<ProbeResult>>();
        const probeOnce = (u: string) => {
          if (!probed.has(u)) probed.set(u, probeProtocol(u, probeOptions));
          return probed.get(u)!;
        };
        const scheme = new URL(apiUrl).protocol === "https:" ? "https:" : "http:";
        const out = {} as Record<"baseline" | "optimized", SuiteClient>;
        for (const role of ["baseline", "optimized"] as const) {
          const d = decideProtocol(profiles[role], true, scheme, probe, concurrency);
          decisions[role] = d;
          if (d.warning) console.error(`tailgate suite: ${d.warning}`);
          out[role] = { profile: d.client, protocol: d.protocol };
          if (!urls || urls.length < 2) continue;
          // Targets on several servers: each origin probed, optimized speaks each one's.
          const other = await originProtocols(urls, d, probeOptions, concurrency, probeOnce);
          for (const w of other.warnings) console.error(`tailgate suite: ${w}`);
          if (other.origins) out[role].origins = d.record.origins = other.origins;
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
      targetsDigest: target?.targets
        ? await targetsDigest(target.targets, seedOption(values))
        : null,
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
