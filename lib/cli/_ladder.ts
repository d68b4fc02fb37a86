/**
 * `suite --ladder`: the output side of {@linkcode runLadder}
 * (`lib/load/ladder_run.ts`): the console table, `comparison_report.json`
 * with `ladder` and `steps`, report.html with the ladder chart, and JUnit.
 *
 * @module
 */
import {
  LADDER_IDLE_TIMEOUT_MS,
  ladderHttp2Profile,
  type LadderOutcome,
  runLadder,
} from "../load/ladder_run.ts";
import type { ProbeResult } from "../client/probe.ts";
import type { HttpRequest } from "../client/types.ts";
import type { Redactor } from "../redact.ts";
import { suiteRequest } from "../load/suite_run.ts";
import type { HtmlLadder } from "../report/html.ts";
import { htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import { buildChartData } from "../report/series.ts";
import { formatLadder, formatRuleTable } from "../report/text.ts";
import type { BootstrapOptions } from "../stats/bootstrap.ts";
import { openedConnections } from "../stats/mock_stats.ts";
import { overallVerdict, type SlaRule } from "../stats/sla.ts";
import { writeOutput } from "./_files.ts";
import { type mockConfigFromValues, serveMock } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import { slaRows } from "./_verdicts.ts";

/** The user's URL as the ladder's target (`suite <url> --ladder`). */
export interface LadderTarget {
  request: HttpRequest;
  caCerts: string[];
  /** Masks secrets in what is printed and written. */
  redactor: Redactor;
  /** What the protocol probe found (whether the HTTP/2 rung can run). */
  probe: ProbeResult | null;
}

/** What `suite --ladder` was asked for. */
export interface LadderCommand {
  /** The user's URL, or `null` for the built-in mock. */
  target: LadderTarget | null;
  requests: number;
  concurrency: number;
  block: number;
  poolSize: number;
  rules: SlaRule[];
  confidence: number | "off";
  bootstrap: BootstrapOptions;
  outDir: string;
  htmlPath: string;
  junitPath: string | undefined;
  /** The mock's configuration; `null` against a URL. */
  mockConfig: ReturnType<typeof mockConfigFromValues> | null;
  /** The `--scenario` name, when given. */
  scenario: string | undefined;
  failOnRegression: boolean;
  timeoutMs: number;
  log: (line: string) => void;
}

/** Runs the ladder against the mock, prints and writes it; returns the exit code. */
export async function ladderSuite(cmd: LadderCommand): Promise<number> {
  const { mockConfig: mc, target, log } = cmd;
  const http2 = target === null || target.probe?.protocol === "h2" ? ladderHttp2Profile() : null;
  if (target) {
    log(`target: ${target.redactor.url(target.request.url)} (${target.request.method})`);
    if (http2 === null) {
      log(
        `no HTTP/2 rung: ${
          target.probe?.reason ?? "the server was not probed"
        }; the ladder ends at keep-alive`,
      );
    }
  }
  const outcome = await runLadder({
    ...(target ? { url: { request: target.request, caCerts: target.caCerts } } : {
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
    rules: cmd.rules,
    confidence: cmd.confidence,
    bootstrap: cmd.bootstrap,
    log,
    http2Profile: http2,
  });
  const { ladder, runs } = outcome;
  const top = runs[runs.length - 1]!;
  // Against the mock its /stats count what it charged; against a URL the engines count.
  const connections = runs.map((r) =>
    outcome.external ? r.clientConnections : openedConnections(r.mock)
  );
  const reportPath = `${cmd.outDir}/comparison_report.json`;
  const notes = ladderNotes(outcome, cmd);
  await writeJson(reportPath, {
    ladder: ladder.rungs.map((r, k) => {
      const run = runs[k]!;
      const { summary: _summary, sla, ...stats } = r;
      return {
        rung: k + 1,
        profile: run.spec.profile,
        settings: run.spec.settings,
        ...stats,
        connections: connections[k],
        connections_source: outcome.external ? "client" : "mock /stats",
        connections_per_block: outcome.external
          ? null
          : run.blocks.map((b) => openedConnections(b)),
        connections_client: run.clientConnections,
        sla_rules: sla,
        csv: run.csvPath,
      };
    }),
    steps: ladder.steps.map((s) => {
      const { bootstrap, ...rest } = s;
      return { ...rest, block_length: bootstrap?.blockLength ?? null };
    }),
    sla: {
      rung: top.spec.name,
      rule: outcome.results.map((r) => r.rule).join(" && "),
      passed: outcome.results.every((r) => r.passed),
      verdict: overallVerdict(outcome.results),
      rules: outcome.results,
    },
    request_consistency: outcome.consistency,
    target: target
      ? {
        url: target.redactor.url(target.request.url),
        method: target.request.method,
        protocol_probe: target.probe,
      }
      : null,
    mock: target ? null : {
      scenario: cmd.scenario ?? null,
      config: mc,
      ...Object.fromEntries(runs.map((r) => [r.spec.name, r.mock])),
    },
    config: {
      mode: "ladder",
      requests: cmd.requests,
      concurrency: cmd.concurrency,
      block: cmd.block,
      pool_size: cmd.poolSize,
      timeout_ms: cmd.timeoutMs,
      http2_engine: top.spec.name === "http2" ? top.spec.profile : null,
    },
    notes,
  });

  const html = renderHtmlReport({
    title: `tailgate suite --ladder: ${runs.map((r) => r.spec.name).join(" → ")}${
      target ? ` against ${target.redactor.url(target.request.url)}` : ""
    }`,
    generatedAt: new Date().toISOString(),
    runs: runs.map((r, k) => htmlRunSummary(r.spec.name, r.csvPath, ladder.rungs[k]!.summary)),
    charts: buildChartData(runs.map((r) => ({ name: r.spec.name, records: r.records }))),
    slaLines: cmd.rules.filter((r) => r.kind === "latency").map((r) => ({
      label: r.text,
      limitMs: r.limit,
    })),
    sla: ladder.rungs.flatMap((r) => slaRows(r.sla, r.name, r.successes)),
    ladder: htmlLadder(outcome, connections, cmd),
    notes,
  });
  await writeOutput(cmd.htmlPath, html, "report");
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
  for (const n of notes) log(`note: ${n}`);
  log(
    `request consistency (${outcome.consistency.method}${
      outcome.external ? "" : ", per block"
    }, each step): ${outcome.consistency.identical ? "identical" : "DIFFERENT"}`,
  );
  log("");
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

/** Plain-language caveats of this run (engine fallback, connection counts that say more). */
function ladderNotes(outcome: LadderOutcome, cmd: LadderCommand): string[] {
  const notes: string[] = [];
  const runs = outcome.runs;
  const top = runs[runs.length - 1]!;
  if (top.spec.name !== "http2") {
    notes.push(
      `No HTTP/2 rung: the server does not offer HTTP/2 (${
        cmd.target?.probe?.reason ?? "not probed"
      }), so the ladder stops at HTTP/1.1 keep-alive.`,
    );
  } else if (top.spec.profile !== "fast-h2") {
    notes.push(
      `The HTTP/2 rung ran on "${top.spec.profile}" (fetch's HTTP/2): this build has no fast-h2 engine, so the last step also changes the implementation, not only the protocol.`,
    );
  }
  const keep = runs.find((r) => r.spec.name === "keep-alive");
  const opened = keep?.clientConnections ?? openedConnections(keep?.mock ?? null);
  if (opened !== null && opened > cmd.concurrency) {
    notes.push(
      `The keep-alive rung opened ${opened} connections for a concurrency of ${cmd.concurrency}: connections were lost between its blocks (closed by the server, or idle longer than ${
        outcome.external ? "the engine's 4 s" : `the ladder's ${LADDER_IDLE_TIMEOUT_MS / 1000} s`
      }); use a smaller --block.`,
    );
  }
  if (outcome.external) {
    notes.push(
      "Against a URL there is no mock /stats: connections are the engines' own counts, requests are checked by client-side digests, and no step is split into connection setup and the rest.",
    );
  }
  for (const r of runs) {
    const server = openedConnections(r.mock);
    if (server !== null && r.clientConnections !== null && r.clientConnections > server) {
      notes.push(
        `Rung ${r.spec.name}: the client opened ${r.clientConnections} connections, the mock counted ${server}. The mock knows a connection by its peer address and port, and the OS reused a local port of a closed connection, so the mock charged no setup for ${
          r.clientConnections - server
        } of them; the attribution uses the mock's count (what it charged).`,
      );
    }
  }
  const blocks = Math.ceil(cmd.requests / cmd.block);
  notes.push(
    `The small pool (${cmd.poolSize} idle) closes a connection whenever it comes back to a full pool: at the end of each of the ${blocks} blocks (the connections above ${cmd.poolSize}, opened again by the next block) and whenever more than ${cmd.poolSize} responses finish at the same moment; so its cost depends on how bursty the load is (--block).`,
  );
  return notes;
}

function htmlLadder(
  outcome: LadderOutcome,
  connections: (number | null)[],
  cmd: LadderCommand,
): HtmlLadder {
  const { ladder, runs } = outcome;
  const line = cmd.rules.find((r) => r.kind === "latency" && r.quantile === 95) ??
    cmd.rules.find((r) => r.kind === "latency");
  return {
    rungs: ladder.rungs.map((r, k) => ({
      name: r.name,
      settings: runs[k]!.spec.label,
      connections: connections[k] ?? null,
      p50Ms: r.p50_ms,
      p95Ms: r.p95_ms,
      p95LowerMs: r.p95_ci_ms[0],
      p95UpperMs: r.p95_ci_ms[1],
      slaVerdict: r.sla_verdict,
    })),
    steps: ladder.steps.map((s) => ({
      from: s.from,
      to: s.to,
      deltaP50Ms: s.delta_p50_ms,
      deltaP95Ms: s.delta_p95_ms,
      ciP95Ms: s.ci_p95_ms,
      verdict: s.verdict,
    })),
    slaLine: line ? { label: line.text, limitMs: line.limit } : null,
    confidence: ladder.steps[0]?.confidence ?? 0.95,
  };
}
