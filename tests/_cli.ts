/** Test helper: run main.ts in a subprocess with scoped permissions. */
import assert from "node:assert/strict";

/** What a CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Runs `deno run <perms> main.ts ...args` and collects its output. */
export async function runCli(
  args: string[],
  options: {
    writeDirs?: string[];
    env?: Record<string, string>;
    cwd?: string;
    /** The --allow-net list (default 127.0.0.1,localhost). */
    net?: string;
  } = {},
): Promise<CliResult> {
  const write = ["results", ...(options.writeDirs ?? [])].join(",");
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-net=${options.net ?? "127.0.0.1,localhost"}`,
      "--allow-read",
      `--allow-write=${write}`,
      "--allow-env=NO_COLOR",
      MAIN,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const out = await cmd.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Mock flags that make a suite run take well under a second. */
export const FAST_MOCK_FLAGS = [
  "--rtt-ms",
  "1",
  "--setup-rtts",
  "1",
  "--service-median-ms",
  "2",
  "--slow-rate",
  "0",
];

/** The summary keys promised by the JSON contract, in order (spelled out, not imported). */
export const SUMMARY_KEYS = [
  "count",
  "errors",
  "error_rate",
  "min_ms",
  "mean_ms",
  "p50_ms",
  "p90_ms",
  "p95_ms",
  "p99_ms",
  "p999_ms",
  "max_ms",
  "throughput_rps",
];

/**
 * Reads a spawned `tailgate serve`'s stdout until it prints its URL (or the
 * process ends); returns the URL, or `null`, and what was read.
 */
export async function readServeUrl(
  stdout: ReadableStream<Uint8Array>,
): Promise<{ url: string | null; text: string }> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  // Bounded by the process: it prints its URL or exits.
  while (!/http:\/\/\S+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return { url: /http:\/\/\S+/.exec(text)?.[0] ?? null, text };
}

/** Asserts that a refusal is what bad input gets: one line on stderr, no stack trace. */
export function oneLine(stderr: string): void {
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
}
