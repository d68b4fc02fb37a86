/**
 * `suite --ladder`: the output side of {@linkcode runLadder}
 * (`lib/load/ladder_run.ts`): the console table, `comparison_report.json`
 * with `ladder` and `steps`, report.html with the ladder chart, and JUnit.
 *
 * @module
 */
import { DEFAULT_LADDER_POOL, ladderHttp2Profile, runLadder } from "../load/ladder_run.ts";
import { probeProtocol, type ProbeResult } from "../client/probe.ts";
import { MAX_PROBED_ORIGINS, urlPerOrigin } from "./_origin_protocols.ts";
import { suiteRequest } from "../load/suite_run.ts";
import { htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import { buildChartData } from "../report/series.ts";
import { formatLadder, formatRuleTable, formatSetupSplit } from "../report/text.ts";
import { adviceFor, formatCauses } from "../report/causes.ts";
import { openedConnections } from "../stats/mock_stats.ts";
import { connectionsOpened } from "../stats/setup_split.ts";
import { timeBreakdown } from "../stats/time_breakdown.ts";
import { type OptionSpecs, positiveInt, str, type Values } from "./_args.ts";
import { writeOutput } from "./_files.ts";
import {
  htmlLadder,
  ladderCauses,
  type LadderCommand,
  ladderNotes,
  ladderReport,
  type LadderTarget,
} from "./_ladder_report.ts";

export type { LadderCommand, LadderTarget } from "./_ladder_report.ts";
import { serveMock } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import { slaLines, slaRows } from "./_verdicts.ts";

/** The ladder's flags, part of `suite`'s options. */
export const LADDER_OPTIONS: OptionSpecs = {
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
};

/** The ladder's paragraph of `suite --help`. */
export const LADDER_HELP =
  `With --ladder it runs four clients instead, each one client change away from
the previous, in interleaved blocks of --block requests against the same
mock: 1. no-reuse (fast engine, a new connection per request); 2. small-pool
(keep-alive, at most --pool idle connections; default ${DEFAULT_LADDER_POOL} as Python
requests' pool_maxsize, Go keeps 2); 3. keep-alive (idle pool sized to the
concurrency); 4. http2 (fast-h2, one connection; optimized when fast-h2 is
missing). Per rung: connections opened (mock /stats), P50/P95/P99, the SLA;
per step: the change of P50/P95/P99 with its block-bootstrap interval, a
verdict, and the part connection setup explains. Writes latency_<rung>.csv,
comparison_report.json (keys ladder and steps) and report.html; the exit
code follows the SLA of the last rung. suite <url> --ladder runs the same
rungs against your URL: connections as the engines count them, requests
checked by client-side digests, each step split into connection setup and
the rest from the engines' own connect and TLS times (the mean exactly,
P50/P95 by each rung against itself minus its setup), and no HTTP/2 rung
when the server does not offer HTTP/2.`;

/**
 * The small pool's size from `--pool` (default 10, or one below the
 * concurrency when that is smaller), as a usage error when `--pool` comes
 * without `--ladder` or is not below the concurrency.
 */
export function ladderPoolSize(values: Values, concurrency: number): number {
  const ladder = values.ladder === true;
  const text = str(values, "pool");
  if (text !== undefined && !ladder) {
    throw new UsageError("--pool sets the ladder's small pool: use it with --ladder");
  }
  const pool = text === undefined
    ? Math.min(DEFAULT_LADDER_POOL, concurrency - 1)
    : positiveInt("--pool", text, true);
  if (ladder && pool >= concurrency) {
    throw new UsageError(
      `Invalid value for --pool: ${pool} is not below --concurrency ${concurrency}; the small pool must keep fewer idle connections than requests in flight`,
    );
  }
  return pool;
}

/**
 * Probes the target's origin, or each origin of its targets file (at most
 * {@linkcode MAX_PROBED_ORIGINS}, together); returns the first probe that
 * found no HTTP/2, its reason naming the origin, else the first probe.
 */
async function probeOrigins(target: LadderTarget, timeoutMs: number): Promise<ProbeResult> {
  const options = {
    timeoutMs: Math.min(timeoutMs, 2000),
    ...(target.caCerts.length ? { caCerts: target.caCerts } : {}),
  };
  const byOrigin = urlPerOrigin([target.request.url, ...(target.urls ?? [])], MAX_PROBED_ORIGINS);
  const probes = await Promise.all([...byOrigin.values()].map((u) => probeProtocol(u, options)));
  const origins = [...byOrigin.keys()];
  // An origin that refuses HTTP/1.1 decides first: no HTTP/1.1 rung could run.
  const only2 = probes.findIndex((p) => p.protocol === "h2" && p.http1 === false);
  const i = only2 >= 0 ? only2 : probes.findIndex((p) => p.protocol !== "h2");
  if (i < 0 || byOrigin.size === 1) return probes[i < 0 ? 0 : i]!;
  return { ...probes[i]!, reason: `${origins[i]}: ${probes[i]!.reason}` };
}

/** Runs the ladder against the mock, prints and writes it; returns the exit code. */
export async function ladderSuite(cmd: LadderCommand): Promise<number> {
  const { mockConfig: mc, target, log } = cmd;
  // Against a URL the HTTP/2 rung runs only when the server offers HTTP/2.
  // With a targets file, every origin must offer it (the rung speaks HTTP/2 only).
  const probe = target ? await probeOrigins(target, cmd.timeoutMs) : null;
  if (probe !== null && probe.protocol === "h2" && probe.http1 === false) {
    throw new UsageError(
      `Cannot run the ladder: the server refuses HTTP/1.1 (${probe.reason}), and rungs 1 to 3 speak HTTP/1.1; compare HTTP/2 clients with suite --baseline optimized --candidate fast-h2`,
    );
  }
  const http2 = probe === null || probe.protocol === "h2" ? ladderHttp2Profile() : null;
  if (target) {
    log(
      target.targets
        ? `targets: ${target.targets.names.join(", ")} (${
          new Set(target.urls?.map((u) => new URL(u).origin)).size
        } origins)`
        : `target: ${target.redactor.url(target.request.url)} (${target.request.method})`,
    );
    if (http2 === null) {
      log(
        `no HTTP/2 rung: ${
          probe?.reason ?? "the server was not probed"
        }; the ladder ends at keep-alive`,
      );
    }
  }
  const outcome = await runLadder({
    ...(target
      ? {
        url: {
          request: target.request,
          caCerts: target.caCerts,
          ...(target.targets ? { targets: target.targets } : {}),
        },
      }
      : {
        startMock: () => {
          const server = serveMock({ ...mc!, port: 0 });
          log(
            `mock: ${server.url} (${cmd.scenario ? `scenario ${cmd.scenario}, ` : ""}seed ${
              mc!.seed
            }, rtt ${mc!.rttMs}ms, setup ${mc!.setupRtts} RTT)`,
          );
          return server;
        },
      }),
    requestFor: suiteRequest,
    requests: cmd.requests,
    concurrency: cmd.concurrency,
    block: cmd.block,
    poolSize: cmd.poolSize,
    timeoutMs: cmd.timeoutMs,
    outDir: cmd.outDir,
    stageDir: cmd.stage.stage,
    signal: cmd.signal,
    hardStop: cmd.hardStop,
    rules: cmd.rules,
    confidence: cmd.confidence,
    bootstrap: cmd.bootstrap,
    log,
    http2Profile: http2,
  });
  const { ladder, runs } = outcome;
  const top = runs[runs.length - 1]!;
  const by = cmd.interrupted();
  if (by !== null && runs.every((r) => r.records.length === 0)) {
    console.error(
      `tailgate suite: ${by}: stopped before any request completed; ${cmd.outDir} was left as it was`,
    );
    return 130;
  }
  const partialTitle = by === null ? "" : `PARTIAL (interrupted by ${by}) `;
  // Against the mock its /stats count what it charged; against a URL the engines count.
  const connections = runs.map((r) =>
    outcome.external
      ? r.clientConnections ?? connectionsOpened(r.records)
      : openedConnections(r.mock)
  );
  const reportPath = `${cmd.outDir}/comparison_report.json`;
  const notes = ladderNotes(outcome, cmd, probe?.reason ?? null);
  await writeJson(cmd.stage.path(reportPath), {
    ...ladderReport(outcome, cmd, { connections, probe, notes }),
    ...(by === null ? { partial: false } : { partial: true, interrupted_by: by }),
  });

  const html = renderHtmlReport({
    title: `${partialTitle}tailgate suite --ladder: ${runs.map((r) => r.spec.name).join(" → ")}${
      target ? ` against ${target.redactor.url(target.request.url)}` : ""
    }`,
    generatedAt: new Date().toISOString(),
    runs: runs.map((r, k) => htmlRunSummary(r.spec.name, r.csvPath, ladder.rungs[k]!.summary)),
    charts: buildChartData(runs.map((r) => ({ name: r.spec.name, records: r.records }))),
    breakdown: runs.map((r) => ({ name: r.spec.name, breakdown: timeBreakdown(r.records) })),
    slaLines: slaLines(cmd.rules),
    sla: ladder.rungs.flatMap((r) => slaRows(r.sla, r.name, r.successes)),
    ladder: htmlLadder(outcome, connections, cmd),
    notes: [
      ...ladder.steps.flatMap((s) => s.setup_split ? [formatSetupSplit(s.setup_split)] : []),
      ...notes,
    ],
  });
  await writeOutput(cmd.stage.path(cmd.htmlPath), html, "report");
  // The set is complete: it replaces the previous run's files together.
  await cmd.stage.commit([...runs.map((r) => r.csvPath), reportPath, cmd.htmlPath], cmd.family);
  if (cmd.junitPath !== undefined) {
    const xml = renderJunitReport({
      timestamp: new Date().toISOString(),
      sla: slaRows(outcome.results, top.spec.name, ladder.rungs[runs.length - 1]!.successes),
      comparisons: ladder.steps.flatMap((s) =>
        s.bootstrap ? [{ ...s.bootstrap, baseline: s.from, candidate: s.to }] : []
      ),
      regressionIsFailure: cmd.failOnRegression,
    });
    await writeOutput(cmd.junitPath, xml, "--junit");
  }

  const style = { color: useColor() };
  log("");
  log(
    formatLadder(ladder, {
      settings: runs.map((r) => r.spec.label),
      connections,
    }, style),
  );
  const advice = new Set<string>();
  for (const r of runs) {
    const causes = ladderCauses(r.causes.list(), target);
    for (const line of formatCauses(causes, `${r.spec.name} `, false)) log(line);
    for (const a of adviceFor(causes)) advice.add(a);
  }
  for (const a of advice) log(`advice        ${a}`);
  for (const n of notes) log(`note: ${n}`);
  log(
    `request consistency (${outcome.consistency.method}${
      outcome.external ? "" : ", per block"
    }, each step): ${outcome.consistency.identical ? "identical" : "DIFFERENT"}`,
  );
  log("");
  if (partialTitle) console.log(`${partialTitle}the ladder stopped early; every file marks it`);
  log(`SLA gate: rung ${runs.length}, ${top.spec.name}`);
  console.log(formatRuleTable(outcome.results, style));
  log(
    `\nwrote ${runs.map((r) => r.csvPath).join(", ")}, ${reportPath}, ${cmd.htmlPath}${
      cmd.junitPath ? `, ${cmd.junitPath}` : ""
    }`,
  );
  if (!outcome.consistency.identical) {
    console.error(
      "tailgate suite: the rungs did not send identical requests; the ladder is not valid",
    );
  }
  if (
    outcome.exitCode !== 4 && cmd.failOnRegression &&
    ladder.steps.some((s) => s.verdict === "regressed")
  ) return 1;
  return outcome.exitCode;
}
