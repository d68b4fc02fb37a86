/** `tailgate bench <url>`: one load run against any HTTP API. */
import { createClient, type HttpRequest, PROFILES } from "../client.ts";
import { collect } from "../collect.ts";
import { CsvWriter } from "../csv_writer.ts";
import { formatSlaResults, formatSummary } from "../report_text.ts";
import { runClosed } from "../runner.ts";
import { evaluateSla } from "../sla.ts";
import {
  durationOption,
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  str,
  strs,
} from "./_args.ts";
import { useColor, writeJson } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import { parseRules } from "./report.ts";

const OPTIONS: OptionSpecs = {
  requests: { type: "string", short: "n", arg: "N", default: "200", help: "Requests to send" },
  concurrency: {
    type: "string",
    short: "c",
    arg: "C",
    default: "20",
    help: "Requests in flight at once",
  },
  client: {
    type: "string",
    arg: "PROFILE",
    default: "optimized",
    help: `Client profile: ${PROFILES.join(", ")}`,
  },
  method: {
    type: "string",
    short: "m",
    arg: "METHOD",
    help: "HTTP method (default GET, or POST with --body)",
  },
  header: {
    type: "string",
    short: "H",
    multiple: true,
    arg: '"Name: value"',
    help: "Request header (repeatable)",
  },
  body: {
    type: "string",
    arg: "TEXT|@FILE",
    help: "Request body, or @path to read it from a file",
  },
  "content-type": { type: "string", arg: "TYPE", help: "Content-Type of the body" },
  timeout: { type: "string", arg: "DURATION", default: "30s", help: "Per-request timeout" },
  warmup: { type: "string", arg: "N", help: "Warm-up requests, sent but excluded from stats" },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "SLA rule, e.g. p95<=800ms (repeatable)",
  },
  out: {
    type: "string",
    short: "o",
    arg: "FILE",
    help: "CSV output (default results/bench-<timestamp>.csv)",
  },
  "no-csv": { type: "boolean", help: "Do not write a CSV" },
  json: { type: "string", arg: "FILE", help: "Write summary, rules and config as JSON" },
  quiet: { type: "boolean", short: "q", help: "Print nothing but the final summary" },
};

/** Help text. */
export const HELP = `Usage: tailgate bench <url> [options]

Sends a closed-loop load (N requests, C in flight) to one URL and writes one
CSV row per request, failures included.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 all SLA rules pass, 1 an SLA rule failed, 2 usage or input error,
4 the run itself failed (no request succeeded).`;

/** Builds the request, validating URL, headers and body. */
export async function buildRequest(
  url: string,
  values: {
    method?: string | undefined;
    headers: string[];
    body?: string | undefined;
    contentType?: string | undefined;
  },
): Promise<HttpRequest> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`Invalid URL "${url}": give a full URL such as http://127.0.0.1:8080/api`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(
      `Unsupported scheme "${parsed.protocol}" in ${url}: use http:// or https://`,
    );
  }
  const headers: [string, string][] = [];
  for (const h of values.headers) {
    const i = h.indexOf(":");
    const name = i > 0 ? h.slice(0, i).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`Malformed header "${h}": write it as "Name: value"`);
    }
    headers.push([name, h.slice(i + 1).trim()]);
  }
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (values.body !== undefined) {
    if (values.body.startsWith("@")) {
      const file = values.body.slice(1);
      try {
        body = await Deno.readFile(file);
      } catch {
        throw new UsageError(`Cannot read body file "${file}": check the path after @`);
      }
    } else {
      body = new TextEncoder().encode(values.body);
    }
  }
  if (values.contentType) headers.push(["content-type", values.contentType]);
  else if (body && !headers.some(([n]) => n.toLowerCase() === "content-type")) {
    headers.push(["content-type", "application/json"]);
  }
  const method = (values.method ?? (body ? "POST" : "GET")).toUpperCase();
  return { url: parsed.href, method, headers, body };
}

/** Runs the command; returns the exit code. */
export async function bench(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("bench", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError("bench needs one URL: tailgate bench http://127.0.0.1:8080/api");
  }
  const requests = positiveInt("--requests", str(values, "requests")!);
  const concurrency = positiveInt("--concurrency", str(values, "concurrency")!);
  const timeoutMs = durationOption("--timeout", str(values, "timeout")!);
  const warmup = str(values, "warmup") === undefined
    ? 0
    : positiveInt("--warmup", str(values, "warmup")!, true);
  const profile = str(values, "client")!;
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw new UsageError(`Unknown client profile "${profile}": use one of ${PROFILES.join(", ")}`);
  }
  const rules = parseRules(strs(values, "sla"));
  const request = await buildRequest(positionals[0]!, {
    method: str(values, "method"),
    headers: strs(values, "header"),
    body: str(values, "body"),
    contentType: str(values, "content-type"),
  });
  const outPath = values["no-csv"]
    ? null
    : str(values, "out") ?? `results/bench-${new Date().toISOString().replace(/[:.]/g, "-")}.csv`;
  let csv: CsvWriter | null = null;
  if (outPath) {
    try {
      csv = await CsvWriter.create(outPath);
    } catch (err) {
      throw new UsageError(
        `Cannot write ${outPath}: ${
          (err as Error).message.split("\n")[0]
        }; choose a writable --out path`,
      );
    }
  }
  const client = createClient(profile, { concurrency, timeoutMs });
  let builder;
  try {
    builder = await collect(
      runClosed({
        client,
        requestFor: () => request,
        concurrency,
        requests: requests + warmup,
        warmup,
      }),
      { csv },
    );
  } finally {
    await csv?.close();
    await client.close();
  }
  const summary = builder.summary();
  const results = rules.map((r) => evaluateSla(r, summary, builder.sortedLatencies()));
  const style = { color: useColor() };
  console.log(formatSummary(`${profile} → ${request.method} ${request.url}`, summary, style));
  if (results.length) console.log("\n" + formatSlaResults(results, style));
  if (outPath) console.log(`\nCSV: ${outPath}`);
  const jsonPath = str(values, "json");
  if (jsonPath) {
    await writeJson(jsonPath, {
      summary,
      sla: results,
      config: {
        url: request.url,
        method: request.method,
        client: profile,
        requests,
        concurrency,
        timeout_ms: timeoutMs,
        warmup,
      },
    });
  }
  if (summary.count > 0 && summary.successes === 0) return 4;
  return results.every((r) => r.passed) ? 0 : 1;
}
