/**
 * The meeting point of measuring and reporting: drains a record stream into
 * a CSV (as rows arrive) and a {@linkcode SummaryBuilder}.
 *
 * @module
 */
import type { CsvWriter } from "./csv_writer.ts";
import type { RequestRecord } from "../record.ts";
import { SummaryBuilder } from "../stats/summary.ts";

/** Sinks for {@linkcode collect}. */
export interface CollectOptions {
  /** Rows are written here as they complete. */
  csv?: CsvWriter | null;
  /** Called after each record is added (progress display). */
  onRecord?: (record: RequestRecord, builder: SummaryBuilder) => void;
  /** Add into this builder instead of a new one. */
  builder?: SummaryBuilder;
}

/** A record source that can also push its records to a callback (a runner's `RecordStream`). */
interface Pushing {
  forEach(emit: (record: RequestRecord) => void): Promise<void>;
}

/**
 * Consumes records, writing each to the CSV and the summary. A runner's
 * stream is drained through its `forEach`: each record goes straight to the
 * sinks as it completes, with no async-iterator step per record.
 *
 * @example
 * ```ts ignore
 * import { collect } from "./collect.ts";
 * const builder = await collect(runClosed(opts), { csv });
 * console.log(builder.summary().p95_ms);
 * ```
 */
export async function collect(
  records: AsyncIterable<RequestRecord> | (AsyncIterable<RequestRecord> & Pushing),
  options: CollectOptions = {},
): Promise<SummaryBuilder> {
  const builder = options.builder ?? new SummaryBuilder();
  const csv = options.csv ?? null;
  const onRecord = options.onRecord;
  const take = (r: RequestRecord): void => {
    csv?.write(r);
    builder.add(r);
    onRecord?.(r, builder);
  };
  if ("forEach" in records) await records.forEach(take);
  else for await (const r of records) take(r);
  return builder;
}
