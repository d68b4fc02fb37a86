/**
 * `tailgate suite`'s flags and help text.
 *
 * @module
 */
import { PROFILES } from "../client/types.ts";
import { formatOptions, type OptionSpecs } from "./_args.ts";
import { LADDER_HELP, LADDER_OPTIONS } from "./_ladder.ts";
import { MOCK_OPTIONS } from "./_mock_flags.ts";
import { REQUEST_OPTIONS } from "./_request.ts";
import { TARGETS_OPTIONS } from "./_targets.ts";

const { timeout: _timeout, ...requestOptions } = REQUEST_OPTIONS;
/** bench's request flags but --timeout (suite's own default differs): they need a URL or --targets. */
export const URL_REQUEST_OPTIONS: OptionSpecs = requestOptions;

/** The flags of `suite`. */
export const OPTIONS: OptionSpecs = {
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
  ...TARGETS_OPTIONS,
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
       tailgate suite --targets FILE [--mix weighted --seed N] [options]

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
of every request each client was handed), which the report says; where
the clients' engines time connect and TLS (fast, fast-h2), each client's
connections are counted and the difference is split into connection setup
and the rest from those times. The
clients run interleaved by default (ABAB… blocks of --block requests, each
block drained before the next): a real server drifts (load, caches, other
tenants), and one after the other the drift lands on one client alone. On
the mock with a slowdown injected mid-run, sequential runs called the
unchanged client "regressed" (+186 ms at P95) while interleaved runs
correctly found no significant difference (docs/suite.md, suite --interleave).
--sequential runs one client after the other anyway.

With --targets FILE (instead of a url): both clients send the requests of
the file in the same fixed sequence (round-robin by weight, or --mix
weighted drawn from --seed; docs/workloads.md), checked by the same
client-side digests; the output adds B − A per target with its interval,
and SLA rules can be scoped to a target (--sla "infer:p95<=800ms").

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
