/**
 * Splitting one load run across N independent workers (`bench --shard i/N`).
 * Pure: no clock, no `Deno.*`.
 *
 * Worker `i` of `N` sends its share of the closed-model totals
 * ({@linkcode shardShare}), or `rate/N` with an offset in the open model
 * ({@linkcode shardSchedule}), and numbers its requests so that ids stay
 * unique across workers ({@linkcode shardRequestId}). Merging the workers'
 * CSVs then gives exactly the records of one big run.
 *
 * @module
 */

/** A worker's place in a sharded run: `index` in `[0, count)`. */
export interface Shard {
  /** 0-based worker index. */
  index: number;
  /** Number of workers, at least 1. */
  count: number;
}

/**
 * Parses `i/N` (0-based: `0/4` is the first of four workers).
 *
 * @throws {SyntaxError} when the text is not `i/N` with whole numbers,
 * `N >= 1` and `i < N`; the message says how to fix it.
 *
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * parseShard("0/4"); // { index: 0, count: 4 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new SyntaxError(
      `Invalid shard "${text}": write it as INDEX/COUNT with a 0-based index, e.g. 0/4 for the first of four workers`,
    );
  }
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) {
    throw new SyntaxError(`Invalid shard "${text}": the numbers are too large`);
  }
  if (count < 1) {
    throw new SyntaxError(`Invalid shard "${text}": the worker count must be at least 1, e.g. 0/1`);
  }
  if (index >= count) {
    throw new SyntaxError(
      `Invalid shard "${text}": the index is 0-based and must be below ${count}, i.e. 0/${count} to ${
        count - 1
      }/${count}`,
    );
  }
  return { index, count };
}

function checkShard(index: number, count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`Cannot compute ${what}: count must be a whole number >= 1, got ${count}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `Cannot compute ${what}: index must be a whole number in [0, ${count}), got ${index}`,
    );
  }
}

/**
 * Worker `index`'s share of a whole-number total (`-n` requests or `-c`
 * concurrency). Shares differ by at most one and sum to `total`; the first
 * `total % count` workers get the extra one. A share can be 0 when
 * `total < count`.
 *
 * @throws {RangeError} on a negative or fractional total, or a bad index/count.
 *
 * @example
 * ```ts
 * import { shardShare } from "./shard.ts";
 * [0, 1, 2].map((i) => shardShare(10, i, 3)); // [4, 3, 3]
 * ```
 */
export function shardShare(total: number, index: number, count: number): number {
  checkShard(index, count, "a shard share");
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(
      `Cannot compute a shard share: total must be a whole number >= 0, got ${total}`,
    );
  }
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/**
 * The open-model pacing of worker `index`: it sends at `rate / count`
 * requests per second, starting `offsetMs` after the shared start time.
 * Worker `i`'s k-th request is then due at `(k·count + i) / rate` seconds,
 * so the union of all workers is evenly spaced at `rate` per second, as one
 * worker at `rate` would be — provided they share a start time.
 *
 * @param rate The whole run's arrival rate, requests per second (> 0).
 * @throws {RangeError} on a non-positive rate or a bad index/count.
 *
 * @example
 * ```ts
 * import { shardSchedule } from "./shard.ts";
 * shardSchedule(100, 1, 4); // { rate: 25, offsetMs: 10 }
 * ```
 */
export function shardSchedule(
  rate: number,
  index: number,
  count: number,
): { rate: number; offsetMs: number } {
  checkShard(index, count, "a shard schedule");
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new RangeError(`Cannot compute a shard schedule: rate must be > 0, got ${rate}`);
  }
  return { rate: rate / count, offsetMs: (index / rate) * 1000 };
}

/**
 * The run-wide request id of worker `index`'s local request `localId`:
 * `localId · count + index`. Ids are unique across workers, and in the open
 * model they equal the request's slot in the merged schedule.
 *
 * @throws {RangeError} on a negative or fractional id, or a bad index/count.
 *
 * @example
 * ```ts
 * import { shardRequestId } from "./shard.ts";
 * shardRequestId(5, 2, 3); // 17
 * ```
 */
export function shardRequestId(localId: number, index: number, count: number): number {
  checkShard(index, count, "a shard request id");
  if (!Number.isSafeInteger(localId) || localId < 0) {
    throw new RangeError(
      `Cannot compute a shard request id: local id must be a whole number >= 0, got ${localId}`,
    );
  }
  return localId * count + index;
}
