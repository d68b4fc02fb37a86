/**
 * Lines of a text file read as a stream, in batches: one pass, one open, so
 * pipes, FIFOs and process substitution (`<(cat run.csv)`) read like files.
 * A line longer than {@linkcode MAX_LINE_BYTES} ends the read in one line
 * instead of buffering without bound (`cat /dev/zero` never ends, and
 * re-scanning a growing line costs quadratic time). Invalid UTF-8 is
 * reported on its true line.
 *
 * @module
 */

/** The longest line accepted, in bytes (1 MiB). */
export const MAX_LINE_BYTES = 1 << 20;

const READ_SIZE = 1 << 20;
const NL = 10;

/** Something to read bytes from (a `Deno.FsFile`, or a fake in tests). */
export interface ByteSource {
  read(buf: Uint8Array): Promise<number | null>;
}

/** Consecutive lines of a file. */
export interface LineBatch {
  /** The lines, without `\n` or a trailing `\r`; blank lines included. */
  lines: string[];
  /** The 1-based line number of `lines[0]`. */
  first: number;
}

/** Options of {@linkcode readLineBatches}. */
export interface ReadLinesOptions {
  /** Longest line accepted, in bytes. */
  maxLineBytes?: number;
  /** Bytes asked for per read. */
  readSize?: number;
}

/**
 * A string safe to echo to a terminal: control characters (ESC, NUL, …)
 * become `\x1b`-style escapes, and it is cut to `max` characters.
 *
 * @example
 * ```ts
 * import { printable } from "./read_lines.ts";
 * printable("a\x1b[2Jb"); // "a\\x1b[2Jb"
 * ```
 */
export function printable(text: string, max = 120): string {
  const cut = text.length > max ? text.slice(0, max) + "…" : text;
  // deno-lint-ignore no-control-regex
  return cut.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(2, "0");
    return `\\x${hex}`;
  });
}

function decodeLines(
  bytes: Uint8Array,
  first: number,
  name: string,
): string[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Find the line: a newline byte never occurs inside a UTF-8 sequence.
    let line = first;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(NL, start);
      const stop = end < 0 ? bytes.length : end;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, stop));
      } catch {
        break;
      }
      if (end < 0) break;
      line++;
      start = end + 1;
    }
    throw new SyntaxError(`Cannot read ${name}: line ${line} is not valid UTF-8`);
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  if (first === 1 && lines[0]!.charCodeAt(0) === 0xfeff) lines[0] = lines[0]!.slice(1);
  return lines;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Reads `source` to its end as batches of lines. Memory: one read buffer
 * plus at most one unfinished line. A final line without `\n` is a line; an
 * empty source yields nothing. A leading byte-order mark is dropped.
 *
 * @param name How errors name the source, e.g. `CSV file run.csv`.
 * @throws {SyntaxError} when a line is longer than the limit or not valid UTF-8
 * (the message names the 1-based line number).
 *
 * @example
 * ```ts
 * import { readLineBatches } from "./read_lines.ts";
 * const data = new TextEncoder().encode("a,b\n1,2\n");
 * let done = false;
 * const source = {
 *   read(buf: Uint8Array) {
 *     if (done) return Promise.resolve(null);
 *     done = true;
 *     buf.set(data);
 *     return Promise.resolve(data.length);
 *   },
 * };
 * for await (const batch of readLineBatches(source, "example")) console.log(batch.lines);
 * ```
 */
export async function* readLineBatches(
  source: ByteSource,
  name: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<LineBatch> {
  const max = options.maxLineBytes ?? MAX_LINE_BYTES;
  let carry: Uint8Array[] = [];
  let carrySize = 0;
  let line = 1;
  const tooLong = (at = line): never => {
    throw new SyntaxError(
      `Cannot read ${name}: line ${at} is longer than ${max} bytes; is it really a CSV file?`,
    );
  };
  for (;;) {
    const buf = new Uint8Array(options.readSize ?? READ_SIZE);
    const n = await source.read(buf);
    if (n === null) break;
    if (n === 0) continue;
    const chunk = buf.subarray(0, n);
    const last = chunk.lastIndexOf(NL);
    if (last < 0) {
      carry.push(chunk);
      carrySize += n;
      if (carrySize > max) tooLong();
      continue;
    }
    if (carrySize > 0 && carrySize + chunk.indexOf(NL) > max) tooLong();
    const head = chunk.subarray(0, last);
    const whole = carrySize > 0 ? concat([...carry, head], carrySize + head.length) : head;
    const lines = decodeLines(whole, line, name);
    for (let i = 0; i < lines.length; i++) if (lines[i]!.length > max) tooLong(line + i);
    yield { lines, first: line };
    line += lines.length;
    carry = last + 1 < n ? [chunk.subarray(last + 1)] : [];
    carrySize = n - last - 1;
  }
  if (carrySize > 0) {
    yield { lines: decodeLines(concat(carry, carrySize), line, name), first: line };
  }
}
