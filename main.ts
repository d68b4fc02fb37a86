/**
 * tailgate: does an HTTP API meet its tail-latency SLA, and do client-side
 * changes really make it faster?
 *
 * ```sh
 * deno task run                      # mock + baseline + optimized + compare + SLA gate
 * deno run -P main.ts bench http://127.0.0.1:8080/api --sla "p95<=800ms"
 * ```
 *
 * @module
 */
import { CsvWriteError } from "./lib/records/csv_writer.ts";
import { WriteError } from "./lib/records/write_error.ts";
import { UsageError } from "./lib/cli/_usage_error.ts";
import { escapeControls, quoted } from "./lib/cli/_args.ts";
import { TOOL } from "./lib/version.ts";
import { isPermissionError, permissionMessage } from "./lib/cli/_permissions.ts";

/**
 * A command, loaded when it runs: `bench` then never loads the mock, the
 * suite or the HTML report, which saves start-up CPU and heap on every run.
 */
type Command = { load: () => Promise<(args: string[]) => Promise<number>>; summary: string };

const COMMANDS: Record<string, Command> = {
  suite: {
    load: async () => (await import("./lib/cli/suite.ts")).suite,
    summary: "Mock + baseline + optimized runs, comparison and SLA gate",
  },
  serve: {
    load: async () => (await import("./lib/cli/serve.ts")).serve,
    summary: "Serve the mock inference API on loopback",
  },
  bench: {
    load: async () => (await import("./lib/cli/bench.ts")).bench,
    summary: "Load-test one URL and write a CSV",
  },
  report: {
    load: async () => (await import("./lib/cli/report.ts")).report,
    summary: "Summarize a saved CSV run",
  },
  compare: {
    load: async () => (await import("./lib/cli/compare.ts")).compare,
    summary: "Compare two saved runs (A/B)",
  },
  merge: {
    load: async () => (await import("./lib/cli/merge.ts")).merge,
    summary: "Merge the CSVs of a sharded run exactly",
  },
};

/** Top-level help. */
export const HELP = `tailgate: tail-latency SLA gate and honest client A/B for HTTP APIs

Usage: tailgate <command> [options]     (tailgate <command> --help for details)

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(9)}${c.summary}`).join("\n")}

Exit codes: 0 pass, 1 an SLA rule failed, 2 usage or input error,
3 inconclusive (not enough data to decide), 4 the run itself failed,
130 interrupted (Ctrl-C).`;

/**
 * Runs the CLI with `args` and returns the exit code. Usage and input errors
 * become one line on stderr and code 2, never a stack trace.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["report", "results/latency_optimized.csv"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(TOOL);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(
      `tailgate: unknown command ${quoted(name)}: use one of ${
        Object.keys(COMMANDS).join(", ")
      } (tailgate --help)`,
    );
    return 2;
  }
  try {
    return await (await cmd.load())(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      // A value echoed in a message never reaches the terminal as raw control bytes.
      console.error(`tailgate ${name}: ${escapeControls(err.message)}`);
      return 2;
    }
    if (isPermissionError(err)) {
      console.error(`tailgate ${name}: ${permissionMessage(err)}`);
      return 2;
    }
    if (err instanceof WriteError || err instanceof CsvWriteError) {
      // A disk that filled up or a device that refuses writes: the run itself failed.
      console.error(`tailgate ${name}: ${err.message}`);
      return 4;
    }
    throw err;
  }
}

if (import.meta.main) {
  // A permission denied inside a request loop (a redirect to a host not
  // granted, say) stops the command with the flag to add, never a trace.
  globalThis.addEventListener("unhandledrejection", (e) => {
    if (!isPermissionError(e.reason)) return;
    e.preventDefault();
    console.error(`tailgate ${Deno.args[0] ?? ""}: ${permissionMessage(e.reason)}`);
    Deno.exit(2);
  });
  Deno.exit(await main(Deno.args));
}
