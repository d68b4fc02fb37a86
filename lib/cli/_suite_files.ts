/**
 * The files `tailgate suite` writes, claimed before anything runs.
 *
 * @module
 */
import { metaPath } from "../records/run_meta.ts";
import { claimOutput } from "./_files.ts";
import { checkPermissions } from "./_permissions.ts";
import { UsageError } from "./_usage_error.ts";

/** The files the suite writes in its out dir. */
export interface SuiteFiles {
  baseline: string;
  optimized: string;
  report: string;
  html: string;
}

/**
 * Before anything runs: checks the permissions the suite needs (every URL, or
 * listening for the mock; writing its files), creates the out dir, claims
 * the reports and removes stale sidecars.
 */
export async function claimSuiteFiles(
  outDir: string,
  junitPath: string | undefined,
  urls: readonly string[] | null,
): Promise<SuiteFiles> {
  const files = {
    baseline: `${outDir}/latency_baseline.csv`,
    optimized: `${outDir}/latency_optimized.csv`,
    report: `${outDir}/comparison_report.json`,
    html: `${outDir}/report.html`,
  };
  await checkPermissions({
    ...(urls !== null ? { net: urls } : { listen: ["127.0.0.1"] }),
    write: [
      ...Object.values(files).map((f) => [f, "--out-dir"] as [string, string]),
      [metaPath(files.baseline), "--out-dir"],
      [metaPath(files.optimized), "--out-dir"],
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
  await claimOutput(files.html, "report");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");
  for (const p of [files.baseline, files.optimized]) await Deno.remove(metaPath(p)).catch(() => {});
  return files;
}
