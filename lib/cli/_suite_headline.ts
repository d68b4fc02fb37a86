/**
 * The first lines `tailgate suite` prints (the verdicts, the P95s, errors,
 * protocols, connections, request identity, the setup split) and the causes
 * redacted for them, from what {@linkcode runSuite} returns.
 *
 * @module
 */
import type { ErrorKind } from "../record.ts";
import type { ErrorCauseList } from "../stats/error_causes.ts";
import type { SuiteClient, SuiteOutcome } from "../load/suite_run.ts";
import { fmtDelta, fmtLevel } from "../report/text.ts";
import type { SetupSplit } from "../stats/setup_split.ts";
import { abSentence, slaSentence } from "../report/verdict.ts";
import { openedConnections } from "../stats/mock_stats.ts";

/** The causes with every message through `redact`. */
export function redactCauses(
  list: ErrorCauseList,
  redact: (text: string) => string,
): ErrorCauseList {
  const out: ErrorCauseList = {};
  for (const [kind, messages] of Object.entries(list) as [ErrorKind, string[]][]) {
    out[kind] = messages.map(redact);
  }
  return out;
}

/** Connections per client: counted by the mock, or by the engines against a URL. */
export function connectionsLine(outcome: SuiteOutcome, names: [string, string]): string {
  if (outcome.external) {
    const { baseline, optimized } = outcome.clientConnections;
    if (baseline === null && optimized === null) {
      return "connections: not counted (neither client's engine numbers its connections; the fast engines do)";
    }
    const n = (v: number | null) => v === null ? "not counted" : String(v);
    return `connections opened (counted by the engines): ${names[0]} ${n(baseline)}, ${names[1]} ${
      n(optimized)
    }`;
  }
  const conns = (stats: unknown) => String(openedConnections(stats) ?? "?");
  return `connections opened (counted by the mock): ${names[0]} ${conns(outcome.baseline.mock)}, ${
    names[1]
  } ${conns(outcome.optimized.mock)}`;
}

/** Whether both clients sent the same requests, and how that was checked. */
export function consistencyLine(outcome: SuiteOutcome): string {
  const c = outcome.consistency;
  const same = c.identical ? "identical" : "DIFFERENT";
  return c.method === "client-side digest"
    ? `requests: ${same} (client-side digest; no server-side digest against a URL)`
    : `requests: ${same} (server-side digest${c.blocks_differing ? ", per block" : ""})`;
}

/**
 * The verdict first, in at most 15 lines: what ran, the SLA verdict with its
 * bound, the A/B verdict in words, the P95s, connections, request identity.
 */
export function headlineLines(
  outcome: SuiteOutcome,
  names: [string, string],
  targetText: string,
  o: { interleave: boolean; block: number; requests: number; concurrency: number },
): string[] {
  const { results, bootstrap, p95, summaries } = outcome;
  const err = (s: { errors: number; count: number }) =>
    `${s.errors}/${s.count}${
      s.errors ? ` (${(100 * s.errors / Math.max(1, s.count)).toFixed(1)}%)` : ""
    }`;
  const level = fmtLevel(p95.level);
  const ci = (x: typeof p95.baseline) => `${fmt(x.point)} [${fmt(x.lower)}, ${fmt(x.upper)}]`;
  return [
    `tailgate suite: ${names[0]} vs ${names[1]} against ${targetText} (${
      o.interleave ? `interleaved, blocks of ${o.block}` : "sequential"
    }; ${o.requests} requests each, concurrency ${o.concurrency})`,
    ...results.map((r) => `SLA  ${slaSentence(r, names[1])}`).slice(0, 6),
    outcome.consistency.identical
      ? `A/B  ${abSentence(names, bootstrap)}`
      // e.g. Ctrl-C between the two clients' blocks: one client sent a block the other did not.
      : "A/B  no verdict: the two clients did not send identical requests, so their latencies are not comparable",
    `P95  ${names[0]} ${ci(p95.baseline)}, ${names[1]} ${
      ci(p95.optimized)
    } (${level} CI, n=${p95.baseline.n}/${p95.optimized.n})`,
    `errors  ${names[0]} ${err(summaries.baseline)}, ${names[1]} ${err(summaries.optimized)}`,
    `clients  ${names[0]} ${protocolWords(outcome.baseline.client)}, ${names[1]} ${
      protocolWords(outcome.optimized.client)
    }`,
    connectionsLine(outcome, names),
    consistencyLine(outcome),
    ...(outcome.setupSplit ? [setupLine(outcome.setupSplit)] : []),
  ];
}

/** The setup split at the headline's metric (P95), in one line. */
function setupLine(split: SetupSplit): string {
  const m = split.metrics.find((x) => x.metric === "p95")!;
  const ci = (p: { ci_ms: [number, number] }) =>
    `[${fmtDelta(p.ci_ms[0])}, ${fmtDelta(p.ci_ms[1])}]`;
  return `setup  P95 ${fmtDelta(m.total.delta_ms)} = connection setup ${
    fmtDelta(m.setup.delta_ms)
  } ${ci(m.setup)} + the rest ${fmtDelta(m.rest.delta_ms)} ${ci(m.rest)} (client phases, ${
    fmtLevel(split.confidence)
  } CI)`;
}

function protocolWords(c: SuiteClient): string {
  return c.protocol === "h2" ? "HTTP/2" : c.protocol === "http/1.1" ? "HTTP/1.1" : "-";
}

function fmt(v: number | null): string {
  return v === null ? "-" : v >= 100 ? `${v.toFixed(0)}ms` : `${v.toFixed(1)}ms`;
}
