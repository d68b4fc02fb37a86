/**
 * The files `tailgate suite` writes, claimed before anything runs, and the
 * stage they are written in: a hidden directory inside the out dir, renamed
 * into place when the outputs are complete (interrupted runs included), so
 * the out dir never holds a mix of two runs.
 *
 * @module
 */
import { StagedDir } from "../records/atomic_file.ts";
import { metaPath } from "../records/run_meta.ts";
import { checkWritable, claimOutput, reason } from "./_files.ts";
import { checkPermissions } from "./_permissions.ts";
import { UsageError } from "./_usage_error.ts";

/** The files the suite writes in its out dir. */
export interface SuiteFiles {
  baseline: string;
  optimized: string;
  report: string;
  html: string;
  /** Every file a suite or ladder run writes in the out dir (what a new run replaces). */
  family: string[];
  /** Where this run's stage will be (inside the out dir). */
  stagePath: string;
}

/** The CSV names of the suite and of the ladder's rungs, without the directory. */
const CSV_NAMES = ["baseline", "optimized", "no-reuse", "small-pool", "keep-alive", "http2"];

/**
 * Before anything runs: checks the permissions the suite needs (every URL, or
 * listening for the mock; writing its files and its stage), creates the out
 * dir, and checks that the reports can be written (without touching the
 * files of an earlier run, which stay until the new set is complete).
 */
export async function claimSuiteFiles(
  outDir: string,
  junitPath: string | undefined,
  urls: readonly string[] | null,
): Promise<SuiteFiles> {
  const csvs = CSV_NAMES.map((n) => `${outDir}/latency_${n}.csv`);
  const files = {
    baseline: `${outDir}/latency_baseline.csv`,
    optimized: `${outDir}/latency_optimized.csv`,
    report: `${outDir}/comparison_report.json`,
    html: `${outDir}/report.html`,
    family: [
      ...csvs.flatMap((c) => [c, metaPath(c)]),
      `${outDir}/comparison_report.json`,
      `${outDir}/report.html`,
    ],
    stagePath: StagedDir.stagePathIn(outDir),
  };
  await checkPermissions({
    ...(urls !== null ? { net: urls } : { listen: ["127.0.0.1"] }),
    write: [
      ...files.family.map((f) => [f, "--out-dir"] as [string, string]),
      [files.stagePath, "--out-dir"],
      ...(junitPath === undefined ? [] : [[junitPath, "--junit"] as [string, string]]),
    ],
  }, { task: "deno task run" });
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `Cannot create ${outDir}: ${(err as Error).message.split("\n")[0]}; choose --out-dir`,
    );
  }
  for (const f of [files.baseline, files.optimized, files.report]) {
    await checkWritable(f, "--out-dir");
  }
  await claimOutput(files.html, "report");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");
  return files;
}

/** Creates the run's stage inside the out dir (a failure is a usage error naming the dir). */
export async function createSuiteStage(outDir: string, files: SuiteFiles): Promise<StagedDir> {
  try {
    return await StagedDir.create(outDir, files.stagePath);
  } catch (err) {
    throw new UsageError(`Cannot write --out-dir ${outDir}: ${reason(err)}; choose --out-dir`);
  }
}
