/**
 * A record batch: many {@linkcode RequestRecord}s packed as one
 * `Float64Array` (a fixed number of numeric fields per record), so a batch
 * crosses from a `bench --workers` thread to the main thread as one
 * transferred buffer instead of one cloned object per request. Records stay
 * the unit of meaning: a batch is only a way to carry them, and
 * {@linkcode unpackRecords} gives back exactly the records packed (`null`
 * travels as NaN, the error kind as its index).
 *
 * @module
 */
import { ERROR_KINDS, type ErrorKind, type RequestRecord } from "../record.ts";

/** Numbers per record in a packed batch. */
export const RECORD_FIELDS = 15;

const KINDS: readonly ErrorKind[] = ["", ...ERROR_KINDS];
const KIND_INDEX = new Map<ErrorKind, number>(KINDS.map((k, i) => [k, i]));

const orNaN = (v: number | null): number => v === null ? NaN : v;
const orNull = (v: number): number | null => Number.isNaN(v) ? null : v;

/**
 * Packs records into a new `Float64Array` of `records.length * RECORD_FIELDS` numbers.
 *
 * @example
 * ```ts
 * import { packRecords, unpackRecords } from "./record_batch.ts";
 * const r = { id: 3, scheduledMs: 1, startedMs: 1, latencyMs: 2.5, ttfbMs: null, status: 200,
 *   bytes: 2, error: "" as const, warmup: false, worker: 1, connectMs: null, tlsMs: null,
 *   firstBodyMs: 2, conn: 1, target: "" };
 * unpackRecords(packRecords([r]), (x) => x.id); // calls back with a record equal to r
 * ```
 */
export function packRecords(
  records: readonly RequestRecord[],
  targets: readonly string[] = [],
): Float64Array {
  const index = new Map(targets.map((name, i) => [name, i]));
  const out = new Float64Array(records.length * RECORD_FIELDS);
  let o = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    out[o++] = r.id;
    out[o++] = r.scheduledMs;
    out[o++] = r.startedMs;
    out[o++] = r.latencyMs;
    out[o++] = orNaN(r.ttfbMs);
    out[o++] = r.status;
    out[o++] = r.bytes;
    out[o++] = KIND_INDEX.get(r.error) ?? KINDS.length - 1;
    out[o++] = r.warmup ? 1 : 0;
    out[o++] = r.worker;
    out[o++] = orNaN(r.connectMs);
    out[o++] = orNaN(r.tlsMs);
    out[o++] = orNaN(r.firstBodyMs);
    out[o++] = orNaN(r.conn);
    // The target by its index in `targets` (-1: none, or a name the table lacks).
    out[o++] = r.target === "" ? -1 : index.get(r.target) ?? -1;
  }
  return out;
}

/**
 * Calls `emit` with each record of a packed batch, in order.
 *
 * @throws {RangeError} when the batch length is not a whole number of records.
 *
 * @example
 * ```ts
 * import { unpackRecords } from "./record_batch.ts";
 * unpackRecords(new Float64Array(0), () => {}); // no records
 * ```
 */
export function unpackRecords(
  batch: Float64Array,
  emit: (record: RequestRecord) => void,
  targets: readonly string[] = [],
): void {
  if (batch.length % RECORD_FIELDS !== 0) {
    throw new RangeError(
      `Cannot read a record batch: ${batch.length} numbers is not a multiple of ${RECORD_FIELDS}`,
    );
  }
  for (let o = 0; o < batch.length; o += RECORD_FIELDS) {
    emit({
      id: batch[o]!,
      scheduledMs: batch[o + 1]!,
      startedMs: batch[o + 2]!,
      latencyMs: batch[o + 3]!,
      ttfbMs: orNull(batch[o + 4]!),
      status: batch[o + 5]!,
      bytes: batch[o + 6]!,
      error: KINDS[batch[o + 7]!] ?? "other",
      warmup: batch[o + 8] === 1,
      worker: batch[o + 9]!,
      connectMs: orNull(batch[o + 10]!),
      tlsMs: orNull(batch[o + 11]!),
      firstBodyMs: orNull(batch[o + 12]!),
      conn: orNull(batch[o + 13]!),
      target: targets[batch[o + 14]!] ?? "",
    });
  }
}
