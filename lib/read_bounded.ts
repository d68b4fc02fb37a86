/**
 * Reads a whole file that must fit a size limit: a regular file only, its
 * size checked before any byte is read, and the read itself stopped at the
 * limit plus one byte in case the size lies (a file that grows, a /proc
 * file that reports 0). Memory is bounded by the limit, never by the file.
 *
 * @module
 */

/** What is wrong with a file given to {@linkcode readBounded}. */
export type BoundedReadProblem = "not-regular" | "too-large";

/**
 * A file that {@linkcode readBounded} refused before (or while) reading it.
 * The message is a clause ("it is not a regular file (a device, FIFO or
 * socket)", "it is larger than 1 MiB") for the caller to place after the path.
 *
 * @example
 * ```ts
 * import { BoundedReadError } from "./read_bounded.ts";
 * const e = new BoundedReadError("too-large", "it is larger than 1 MiB", 1 << 20);
 * e.problem; // "too-large"
 * ```
 */
export class BoundedReadError extends RangeError {
  /** Why the file was refused. */
  readonly problem: BoundedReadProblem;
  /** The limit in bytes. */
  readonly limit: number;

  constructor(problem: BoundedReadProblem, message: string, limit: number) {
    super(message);
    this.name = "BoundedReadError";
    this.problem = problem;
    this.limit = limit;
  }
}

/**
 * A byte count in the largest binary unit that divides it: `64 MiB`,
 * `1 GiB`, `1500 B`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./read_bounded.ts";
 * formatBytes(64 * 1024 * 1024); // "64 MiB"
 * formatBytes(1536); // "1.5 KiB"
 * ```
 */
export function formatBytes(n: number): string {
  for (const [unit, size] of [["GiB", 1 << 30], ["MiB", 1 << 20], ["KiB", 1 << 10]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(2))} ${unit}`;
  }
  return `${n} B`;
}

const CHUNK = 64 * 1024;

/**
 * The bytes of the regular file at `path`, at most `limit` of them.
 *
 * @throws {BoundedReadError} when `path` is not a regular file (a device,
 * FIFO, socket or directory) or holds more than `limit` bytes; checked by
 * `stat` before reading, and again while reading.
 * @throws {Deno.errors.NotFound | Deno.errors.PermissionDenied} as `Deno.stat` and `Deno.open` do.
 *
 * @example
 * ```ts ignore
 * import { readBounded } from "./read_bounded.ts";
 * const body = await readBounded("req.json", 64 * 1024 * 1024);
 * ```
 */
export async function readBounded(path: string, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const info = await Deno.stat(path);
  if (!info.isFile) {
    const what = info.isDirectory ? "a directory" : "not a regular file (a device, FIFO or socket)";
    throw new BoundedReadError("not-regular", `it is ${what}`, limit);
  }
  const tooLarge = () =>
    new BoundedReadError("too-large", `it is larger than ${formatBytes(limit)}`, limit);
  if (info.size > limit) throw tooLarge();
  using file = await Deno.open(path, { read: true });
  // The stat's size, or a chunk when it reports 0; grown as needed, never past limit + 1.
  let buf = new Uint8Array(Math.min(limit + 1, Math.max(info.size + 1, CHUNK)));
  let len = 0;
  while (true) {
    if (len === buf.length) {
      if (len > limit) throw tooLarge();
      const next = new Uint8Array(Math.min(limit + 1, buf.length * 2));
      next.set(buf);
      buf = next;
    }
    const n = await file.read(buf.subarray(len));
    if (n === null) break;
    len += n;
    if (len > limit) throw tooLarge();
  }
  // A view, not a copy: the buffer is at most one chunk (or one byte) larger than the file.
  return len === buf.length ? buf : buf.subarray(0, len);
}
