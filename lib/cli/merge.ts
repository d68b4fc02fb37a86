/** `tailgate merge <a.csv> <b.csv> … -o all.csv`: join the workers of one sharded run. */
import {
  MergeInterruptedError,
  MergeRefusedError,
  type MergeResult,
  mergeRuns,
} from "../records/merge.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs, str } from "./_args.ts";
import { UsageError } from "./_usage_error.ts";
import { checkPermissions } from "./_permissions.ts";
import { translateHabits } from "./_habits.ts";
import { metaPath } from "../records/run_meta.ts";
import { installStopSignals } from "./_signals.ts";

const OPTIONS: OptionSpecs = {
  out: { type: "string", short: "o", arg: "FILE", help: "Merged CSV to write (required)" },
  force: {
    type: "boolean",
    help: "Also merge files that have no .meta.json sidecar (their run is not checked)",
  },
  partial: { type: "boolean", help: "Merge even if some workers' files are missing" },
  json: { type: "boolean", help: "Print the merge result as one JSON object" },
  quiet: { type: "boolean", short: "q", help: "Print nothing on success" },
};

/** Help text. */
export const HELP = `Usage: tailgate merge <a.csv> <b.csv> … -o <all.csv> [options]

Merges the CSVs written by the workers of one sharded run
(tailgate bench --shard i/N --run-id ID) into one CSV, exactly: every row
once, sorted by timestamp_ms then request_id, with the usual header, plus
<all.csv>.meta.json listing the workers. report, compare and --sla then work
on the merged file as on a single run; percentiles are over all rows, never
averaged across workers.

Refuses (exit 2, nothing written) files from different runs (run_id or
config_digest differ in the .meta.json sidecars), the same worker twice, a
missing worker (unless --partial), a file without a sidecar (unless --force),
and duplicate request ids.

Memory: bounded whatever the input sizes: unsorted inputs are sorted in
runs of 100,000 rows spilled next to the output, then streamed through a
k-way merge (docs/distributed.md has measured figures). Ctrl-C or SIGTERM
removes the temporary files, leaves the output as it was, and exits 130.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 merged, 2 usage or input error (including a refused merge),
130 interrupted (nothing written).`;

function describe(result: MergeResult): string {
  const lines: string[] = [];
  const m = result.meta;
  lines.push(
    `merged ${result.rows} rows from ${result.inputs.length} file(s) into ${result.out}` +
      (m ? ` (run ${m.run_id}, workers ${m.merged?.workers.join(", ")} of ${m.workers})` : ""),
  );
  const firsts = result.inputs.map((i) => i.firstMs).filter((v): v is number => v !== null);
  const earliest = firsts.length ? Math.min(...firsts) : null;
  const w = Math.max(...result.inputs.map((i) => i.path.length));
  for (const i of result.inputs) {
    const offset = i.firstMs === null || earliest === null
      ? "no rows"
      : `first request +${(i.firstMs - earliest).toFixed(1)} ms`;
    lines.push(
      `  ${i.path.padEnd(w)}  worker ${i.workers.join(",") || "?"}  ${
        String(i.rows).padStart(7)
      } rows  ${offset}`,
    );
  }
  if (firsts.length > 1 && earliest !== null) {
    lines.push(
      `first requests span ${
        (Math.max(...firsts) - earliest).toFixed(1)
      } ms across files (start-up jitter, each by its worker's own clock)`,
    );
  }
  for (const n of result.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

/** Runs the command; returns the exit code. */
export async function merge(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "merge",
    translateHabits(args, { durationFlag: false }),
    OPTIONS,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const out = str(values, "out");
  if (out === undefined || out === "") {
    throw new UsageError("merge needs an output: tailgate merge w0.csv w1.csv -o all.csv");
  }
  if (positionals.length === 0) {
    throw new UsageError("merge needs input CSV files: tailgate merge w0.csv w1.csv -o all.csv");
  }
  await checkPermissions({
    read: positionals,
    write: [[out, "--out"], [metaPath(out), "the sidecar of --out"]],
  });
  let result: MergeResult;
  // Ctrl-C or SIGTERM: stop at the next batch, remove the spills, leave the output untouched.
  const signals = installStopSignals({ graceMs: 0 });
  try {
    result = await mergeRuns(positionals, out, {
      force: values.force === true,
      partial: values.partial === true,
      signal: signals.stop,
    });
  } catch (err) {
    if (err instanceof MergeInterruptedError) {
      console.error(
        `tailgate merge: ${signals.received}: stopped; ${out} was not written and the temporary files were removed`,
      );
      return 130;
    }
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`Cannot read an input: ${(err as Error).message.split("\n")[0]}`);
    }
    if (err instanceof MergeRefusedError || err instanceof SyntaxError) {
      throw new UsageError(err.message.split("\n")[0]!);
    }
    throw err;
  } finally {
    signals.dispose();
  }
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else if (!values.quiet) console.log(describe(result));
  return 0;
}
