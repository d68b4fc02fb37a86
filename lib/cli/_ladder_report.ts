/**
 * `suite --ladder`'s report parts: the `comparison_report.json` document,
 * the caveats in words, and the HTML ladder. Mapping only; the numbers come
 * from {@linkcode runLadder}.
 *
 * @module
 */
import type { StagedDir } from "../records/atomic_file.ts";
import type { ProbeResult } from "../client/probe.ts";
import type { TargetsPick } from "../load/targets.ts";
import type { HttpRequest } from "../client/types.ts";
import type { Redactor } from "../redact.ts";
import type { ErrorKind } from "../record.ts";
import type { ErrorCauseList } from "../stats/error_causes.ts";
import type { BootstrapOptions } from "../stats/bootstrap.ts";
import { LADDER_IDLE_TIMEOUT_MS, type LadderOutcome } from "../load/ladder_run.ts";
import type { HtmlLadder } from "../report/html.ts";
import { openedConnections } from "../stats/mock_stats.ts";
import { overallVerdict, type SlaRule } from "../stats/sla.ts";
import type { mockConfigFromValues } from "./_mock_flags.ts";

/** The user's URL as the ladder's target (`suite <url> --ladder`). */
export interface LadderTarget {
  request: HttpRequest;
  caCerts: string[];
  /** Masks secrets in what is printed and written. */
  redactor: Redactor;
  /** A targets file's requests (`suite --targets --ladder`), sent in its fixed sequence. */
  targets?: TargetsPick;
  /** Every URL of the targets file: each origin is probed before an HTTP/2 rung runs. */
  urls?: readonly string[];
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
  /** Where the files are written until the set is complete (inside `outDir`). */
  stage: StagedDir;
  /** Every file a suite or ladder run writes in the out dir (what this run replaces). */
  family: string[];
  /** Stop starting requests when aborted (Ctrl-C). */
  signal: AbortSignal;
  /** Give up on requests in flight when aborted. */
  hardStop: AbortSignal;
  /** The signal that stopped the run, if any (read once the run has ended). */
  interrupted: () => Deno.Signal | null;
}

/** What the report needs beyond the outcome. */
export interface LadderReportExtras {
  /** Connections per rung as shown (the mock's count, or the client's against a URL). */
  connections: (number | null)[];
  probe: ProbeResult | null;
  notes: string[];
}

/** A rung's failure causes, through the target's redactor (against the mock: nothing secret). */
export function ladderCauses(list: ErrorCauseList, target: LadderTarget | null): ErrorCauseList {
  if (target === null) return list;
  const out: ErrorCauseList = {};
  for (const [kind, messages] of Object.entries(list) as [ErrorKind, string[]][]) {
    out[kind] = messages.map((m) => target.redactor.text(m));
  }
  return out;
}

/** The `comparison_report.json` document of a ladder: keys `ladder` and `steps` first. */
export function ladderReport(
  outcome: LadderOutcome,
  cmd: LadderCommand,
  extras: LadderReportExtras,
): Record<string, unknown> {
  const { ladder, runs } = outcome;
  const top = runs[runs.length - 1]!;
  const { connections, probe, notes } = extras;
  const { target, mockConfig: mc } = cmd;
  return {
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
        error_causes: ladderCauses(run.causes.list(), target),
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
        protocol_probe: probe,
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
  };
}

/** Plain-language caveats of this run (engine fallback, connection counts that say more). */
export function ladderNotes(
  outcome: LadderOutcome,
  cmd: LadderCommand,
  probeReason: string | null,
): string[] {
  const notes: string[] = [];
  const runs = outcome.runs;
  const top = runs[runs.length - 1]!;
  if (top.spec.name !== "http2") {
    notes.push(
      `No HTTP/2 rung: the server does not offer HTTP/2 (${
        probeReason ?? "not probed"
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
  const split = outcome.ladder.steps.filter((s) => s.setup_split !== null).length;
  if (outcome.external) {
    notes.push(
      split > 0
        ? `Against a URL there is no mock /stats: connections are the engines' own counts, requests are checked by client-side digests, and ${
          split === outcome.ladder.steps.length ? "each step" : `${split} of the steps`
        } is split into connection setup and the rest from the engines' own connect and TLS times per request (the mean exactly, P50/P95 by each rung against itself minus its setup).`
        : "Against a URL there is no mock /stats: connections are the engines' own counts, requests are checked by client-side digests, and no step is split into connection setup and the rest (no rung recorded connect and TLS times).",
    );
  }
  for (const r of runs) {
    const server = openedConnections(r.mock);
    if (server !== null && r.clientConnections !== null && r.clientConnections > server) {
      notes.push(
        `Rung ${r.spec.name}: the client opened ${r.clientConnections} connections, the mock counted ${server}. The mock charged setup for ${server} only (a connection it never saw a request on is not counted); the attribution uses the mock's count, which is what it charged.`,
      );
    }
  }
  notes.push(
    `The small pool (${cmd.poolSize} idle) closes a connection whenever it comes back to a full pool while the load runs (more than ${cmd.poolSize} responses finishing at the same moment, before the next requests take them). The pauses between the ladder's blocks are the measurement's, not the client's: there the pool parks what drains, so they cost it nothing.`,
  );
  return notes;
}

export function htmlLadder(
  outcome: LadderOutcome,
  connections: (number | null)[],
  cmd: LadderCommand,
): HtmlLadder {
  const { ladder, runs } = outcome;
  const total = cmd.rules.filter((r) => r.kind === "latency" && r.phase === null);
  const line = total.find((r) => r.quantile === 95) ?? total[0];
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
