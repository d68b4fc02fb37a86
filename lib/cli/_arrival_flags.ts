/**
 * The open model's arrival flags (`--arrival`, `--stages`) and `--seed`,
 * the one seed of every seeded draw of a run's workload. Validated before
 * anything is sent; each problem is one line and exit 2.
 *
 * @module
 */
import { type ArrivalProcess, ARRIVALS, parseStages, type Stage } from "../load/arrivals.ts";
import { formatDuration } from "../duration.ts";
import { type OptionSpecs, positiveInt, str, type Values } from "./_args.ts";
import { UsageError } from "./_usage_error.ts";

/**
 * The seed when `--seed` is not given: fixed, so that two runs with the same
 * flags draw the same schedule (and request mix). Recorded in the JSON and
 * the CSV's `.meta.json` as `seed`.
 */
export const DEFAULT_SEED = 1;

/** `--seed`, shared by every command with seeded workload draws. */
export const SEED_OPTION: OptionSpecs = {
  seed: {
    type: "string",
    arg: "N",
    help:
      `Seed of every seeded draw of the workload (e.g. Poisson arrivals): a whole number 0..4294967295; the same seed gives the same schedule (default ${DEFAULT_SEED})`,
  },
};

/** The flags of the open model's arrival process (bench). */
export const ARRIVAL_OPTIONS: OptionSpecs = {
  arrival: {
    type: "string",
    arg: "constant|poisson",
    help:
      "Open model: constant (default) sends every 1/rate; poisson draws exponential gaps of mean 1/rate from --seed (independent users)",
  },
  stages: {
    type: "string",
    arg: "STAGES",
    help:
      "Open model: ramp the rate linearly to each stage's target, e.g. \"30s:10/s,2m:100/s,30s:0/s\" (from --rate, default 0/s); the run lasts the stages' sum",
  },
  ...SEED_OPTION,
};

/** Parses `--seed` (default {@linkcode DEFAULT_SEED}). */
export function seedOption(values: Values): number {
  const text = str(values, "seed");
  if (text === undefined) return DEFAULT_SEED;
  const n = positiveInt("--seed", text, true);
  if (n > 0xffffffff) {
    throw new UsageError(
      `Invalid value for --seed: "${text}" is above 4294967295; use 0..4294967295`,
    );
  }
  return n;
}

/** The arrival flags, validated. */
export interface ArrivalFlags {
  process: ArrivalProcess;
  /** The ramp, or `null` for a constant rate. */
  stages: Stage[] | null;
  /** Sum of the stages in ms, or `null`. */
  stagesMs: number | null;
  seed: number;
}

/**
 * Reads `--arrival`, `--stages` and `--seed` and refuses contradictions
 * with the other load flags (the open model is chosen by `--rate` or
 * `--stages`).
 */
export function arrivalFlags(values: Values): ArrivalFlags {
  const given = (name: string) => str(values, name) !== undefined;
  const seed = seedOption(values);
  const name = str(values, "arrival") ?? "constant";
  if (!(ARRIVALS as readonly string[]).includes(name)) {
    throw new UsageError(`Unknown --arrival "${name}": use ${ARRIVALS.join(" or ")}`);
  }
  const process = name as ArrivalProcess;
  let stages: Stage[] | null = null;
  if (given("stages")) {
    try {
      stages = parseStages(str(values, "stages")!);
    } catch (err) {
      throw new UsageError(`Invalid value for --stages: ${(err as Error).message}`);
    }
  }
  const stagesMs = stages === null ? null : stages.reduce((t, s) => t + s.durationMs, 0);
  if (stages !== null) {
    if (given("concurrency")) {
      throw new UsageError(
        "Cannot combine --stages with -c/--concurrency: a ramp is an open-model schedule; bound it with --max-in-flight N instead",
      );
    }
    if (given("duration")) {
      throw new UsageError(
        `Cannot combine --stages with -d/--duration: the stages set the run's length (${
          formatDuration(stagesMs!)
        }); drop -d, or end earlier with -n`,
      );
    }
    if (stages.every((s) => s.rate === 0) && !given("rate")) {
      throw new UsageError(
        "Invalid value for --stages: every stage's rate is 0 and the ramp starts at 0, so nothing would be sent; give a stage a rate, e.g. 10s:100/s",
      );
    }
  }
  if (given("arrival") && !given("rate") && stages === null) {
    throw new UsageError(
      process === "poisson"
        ? "--arrival poisson needs a rate: add --rate R (e.g. --rate 500 -d 10s) or --stages (e.g. --stages 10s:200/s)"
        : "--arrival applies to the open model only: add --rate R or --stages, or drop --arrival",
    );
  }
  return { process, stages, stagesMs, seed };
}
