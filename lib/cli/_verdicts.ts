/**
 * Helpers the verdict-producing commands share (`report`, `compare`,
 * `suite`, `bench`): the `--confidence` option, loading a run in any
 * supported CSV format, SLA verdicts as report rows, exit codes, and
 * writing report files.
 */
import { detectFormat, type ResultFormat } from "../records/formats/detect_format.ts";
import { readResults } from "../records/formats/read_results.ts";
import { readRecordBatches } from "../records/read_records.ts";
import { isSuccess, type RequestRecord } from "../record.ts";
import type { JunitSlaCase } from "../report/junit.ts";
import type { SlaResult } from "../stats/sla.ts";
import { SummaryBuilder } from "../stats/summary.ts";
import { positiveInt, str, type Values } from "./_args.ts";
import { UsageError } from "./_usage_error.ts";

/** Parses `--confidence 95%`, `0.95`, `99` or `off`. */
export function confidenceOption(text: string): number | "off" {
  if (text.trim().toLowerCase() === "off") return "off";
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  let v = m ? Number(m[1]) : NaN;
  if (m && (m[2] === "%" || v > 1)) v /= 100;
  if (!(v > 0.5 && v < 1)) {
    throw new UsageError(
      `Invalid value for --confidence: "${text}"; use a level between 50% and 100% such as 95%, or off`,
    );
  }
  return v;
}

/** The A/B bootstrap settings from `--seed`, `--resamples` and `--confidence` (no `off`). */
export function bootstrapOptions(
  values: Values,
  seedFlag = "seed",
): { seed: number; resamples: number; confidence: number } {
  const seed = positiveInt(`--${seedFlag}`, str(values, seedFlag) ?? "1", true);
  if (seed > 0xffff_ffff) {
    throw new UsageError(`Invalid value for --${seedFlag}: "${seed}" is above 4294967295`);
  }
  const resamples = positiveInt("--resamples", str(values, "resamples") ?? "2000");
  if (resamples < 100 || resamples > 100_000) {
    throw new UsageError(
      `Invalid value for --resamples: "${resamples}" is out of range; use 100 to 100000 (default 2000)`,
    );
  }
  const c = confidenceOption(str(values, "confidence") ?? "95%");
  return { seed, resamples, confidence: c === "off" ? 0.95 : c };
}

/** What to keep from a run beyond its summary. */
export interface LoadWants {
  /** Successful, measured latencies in start-time order (for the bootstrap). */
  series?: boolean;
  /** Every record (for the HTML charts). */
  records?: boolean;
  /** Start times and latencies of measured requests (for the most in flight at once). */
  intervals?: boolean;
}

/** A run read from a CSV file. */
export interface LoadedRun {
  path: string;
  format: ResultFormat;
  /** Caveats of the format, in plain words. */
  notes: string[];
  builder: SummaryBuilder;
  series: Float64Array | null;
  records: RequestRecord[] | null;
  intervals: { starts: Float64Array; latencies: Float64Array } | null;
}

const SNIFF_BYTES = 64 * 1024;

function readError(path: string, err: unknown): never {
  if (err instanceof Deno.errors.NotFound) {
    throw new UsageError(`Cannot read ${path}: file not found; check the path`);
  }
  if (err instanceof Deno.errors.IsADirectory) {
    throw new UsageError(`Cannot read ${path}: it is a directory; pass a CSV file`);
  }
  if (err instanceof SyntaxError) {
    const msg = err.message.includes(path) ? err.message : `${err.message} (in ${path})`;
    throw new UsageError(msg);
  }
  throw err;
}

async function sniff(path: string): Promise<string> {
  try {
    using file = await Deno.open(path, { read: true });
    const buf = new Uint8Array(SNIFF_BYTES);
    let filled = 0;
    while (filled < buf.length) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return new TextDecoder().decode(buf.subarray(0, filled));
  } catch (err) {
    readError(path, err);
  }
}

/** Accumulates what {@linkcode LoadWants} asks for while records stream by. */
class Keeper {
  readonly builder = new SummaryBuilder();
  readonly records: RequestRecord[] | null;
  #seriesStart: number[] | null;
  #seriesLat: number[] | null;
  #starts: number[] | null;
  #lats: number[] | null;

  constructor(wants: LoadWants) {
    this.records = wants.records ? [] : null;
    this.#seriesStart = wants.series ? [] : null;
    this.#seriesLat = wants.series ? [] : null;
    this.#starts = wants.intervals ? [] : null;
    this.#lats = wants.intervals ? [] : null;
  }

  add(r: RequestRecord): void {
    this.builder.add(r);
    this.records?.push(r);
    if (r.warmup) return;
    this.#starts?.push(r.startedMs);
    this.#lats?.push(r.latencyMs);
    if (this.#seriesStart && isSuccess(r)) {
      this.#seriesStart.push(r.startedMs);
      this.#seriesLat!.push(r.latencyMs);
    }
  }

  series(): Float64Array | null {
    const st = this.#seriesStart;
    const lat = this.#seriesLat;
    if (!st || !lat) return null;
    const order = Array.from({ length: st.length }, (_, i) => i);
    order.sort((i, j) => (st[i] as number) - (st[j] as number) || i - j);
    return Float64Array.from(order, (i) => lat[i] as number);
  }

  intervals(): LoadedRun["intervals"] {
    if (!this.#starts || !this.#lats) return null;
    return { starts: Float64Array.from(this.#starts), latencies: Float64Array.from(this.#lats) };
  }
}

/**
 * Reads a latency CSV written by tailgate, hey, vegeta, oha or k6, detecting
 * the format from its first line. tailgate CSVs stream in batches (a
 * million rows in about a second); other formats are read whole. Input
 * problems become one-line {@linkcode UsageError}s.
 */
export async function loadRun(path: string, wants: LoadWants = {}): Promise<LoadedRun> {
  const head = await sniff(path);
  if (head.replace(/^\ufeff/, "").trim() === "") {
    throw new UsageError(`Cannot read ${path}: the file is empty; pass a CSV with a header row`);
  }
  const format = detectFormat(head);
  if (format === null) {
    const first = head.replace(/^\ufeff/, "").trimStart().split("\n", 1)[0]?.replace(/\r$/, "")
      .slice(0, 120);
    throw new UsageError(
      `Cannot read ${path}: unrecognized header "${first}"; expected a CSV from tailgate, hey (-o csv), vegeta (encode -to csv), oha (--output-format csv) or k6 (--out csv)`,
    );
  }
  const keep = new Keeper(wants);
  let notes: string[] = [];
  try {
    if (format === "tailgate") {
      for await (const batch of readRecordBatches(path)) for (const r of batch) keep.add(r);
    } else {
      const read = readResults(await Deno.readTextFile(path), format);
      notes = read.notes;
      for (const r of read.records) keep.add(r);
    }
  } catch (err) {
    readError(path, err);
  }
  return {
    path,
    format,
    notes,
    builder: keep.builder,
    series: keep.series(),
    records: keep.records,
    intervals: keep.intervals(),
  };
}

/** One line naming a run's detected format and its caveats. */
export function formatLine(run: Pick<LoadedRun, "path" | "format" | "notes">): string {
  const notes = run.notes.length ? `; ${run.notes.join("; ")}` : "";
  return `${run.path}: ${run.format} CSV (detected)${notes}`;
}

/**
 * The exit code of a set of SLA verdicts: 1 when any rule failed, 3 when
 * none failed but one is inconclusive, else 0.
 */
export function slaExitCode(results: readonly SlaResult[]): number {
  if (results.some((r) => r.verdict === "fail")) return 1;
  if (results.some((r) => r.verdict === "inconclusive")) return 3;
  return 0;
}

function valueText(r: SlaResult): string {
  if (r.value === null) return "none";
  if (r.unit === "ratio") return `${(r.value * 100).toFixed(2)}%`;
  if (r.unit === "rps") return `${r.value.toFixed(1)}/s`;
  return `${r.value} ms`;
}

/**
 * SLA results as rows for the HTML and JUnit reports. Those show values in
 * ms, so a rule in another unit (error rate, throughput) carries its
 * measured value in its name instead.
 */
export function slaRows(results: readonly SlaResult[], run: string, n: number): JunitSlaCase[] {
  return results.map((r) => {
    const ms = r.unit === "ms";
    const c = r.confidence;
    const row: JunitSlaCase = {
      rule: ms ? r.rule : `${r.rule} (measured ${valueText(r)})`,
      run,
      verdict: r.verdict,
      point: ms ? r.value : null,
      lower: c?.lower ?? null,
      upper: c?.upper ?? null,
      n: c?.n ?? n,
      confidence: c?.level ?? null,
    };
    if (c?.minSamples !== undefined) row.minSamples = c.minSamples;
    return row;
  });
}

/**
 * Checks early that a report file can be written (creating it empty), so a
 * long run does not end in a write error.
 */
export async function claimOutput(path: string, flag: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, "");
  } catch (err) {
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
}

/** Writes a report file, as a UsageError naming the flag on failure. */
export async function writeOutput(path: string, text: string, flag: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (err) {
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
}

function reason(err: unknown): string {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return "no write permission (the deno tasks grant results/ only; or pass --allow-write)";
  }
  if (err instanceof Deno.errors.NotFound) return "no such directory";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return (err as Error).message.split("\n")[0] ?? String(err);
}
