/**
 * The one row pipeline every format reader shares: lines in, records out.
 * Splits RFC 4180 fields (a quoted field may span lines), hands each row to
 * the format's decoder, and applies the sanity checks every run must pass.
 * Used by the format readers and by the streaming readers in `lib/records/`.
 *
 * @module
 */
import type { RequestRecord } from "../../record.ts";
import { type LineBatch, MAX_LINE_BYTES, printable } from "../read_lines.ts";

/** The longest request a run may record: a day. Longer is a corrupt value, not a latency. */
export const MAX_LATENCY_MS = 24 * 60 * 60 * 1000;

/** The longest span of start times in one run: a week. A wider span means a corrupt row. */
export const MAX_SPAN_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Decodes one data row; `null` skips it (e.g. another k6 metric). A format
 * whose request spans several rows (k6) may hold a record back and hand it
 * over with a later row, or at the end of the input from `flush`.
 */
export type RowDecoder = ((fields: string[], line: number) => RequestRecord | null) & {
  flush?: () => RequestRecord | null;
};

/** How one format's file is laid out. */
export interface FormatSpec {
  /** Name used in messages, e.g. `hey`. */
  label: string;
  /** Whether the first non-blank line is a header (vegeta has none). */
  header: boolean;
  /** Whether fields may be quoted (tailgate's never are, so its rows are split on commas). */
  quoted: boolean;
  /** Whether `id` is the file's own request id, which must be unique. */
  uniqueIds: boolean;
  /** The kind of file in messages (default `CSV`): `Cannot read k6 JSON line 3: ...`. */
  noun?: string;
  /** Each line is one record's text, not split into fields (JSON lines); default false. */
  wholeLines?: boolean;
  /** The decoder for the rows under `header` (`null` without a header). */
  open(header: string[] | null, line: number): RowDecoder;
}

/**
 * Splits a CSV line into fields, honouring quotes; `null` when a quoted
 * field is still open at the end of the line.
 */
export function splitFields(line: string): string[] | null {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return null;
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      // Anything between the closing quote and the comma is kept, as Go's lazy quotes do.
      const comma = line.indexOf(",", j);
      out.push(value + line.slice(j, comma < 0 ? line.length : comma));
      if (comma < 0) return out;
      i = comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      out.push(line.slice(i, comma < 0 ? line.length : comma));
      if (comma < 0) return out;
      i = comma + 1;
    }
  }
}

/** `label`: the kind of file, as messages name it (`hey CSV`, `k6 JSON`). */
function rowError(label: string, line: number, what: string): SyntaxError {
  return new SyntaxError(`Cannot read ${label} line ${line}: ${what}`);
}

const PHASES_CHECKED = [
  ["connectMs", "connect time"],
  ["tlsMs", "TLS handshake time"],
  ["firstBodyMs", "time to first body byte"],
] as const;

/** Rejects a record whose values cannot be a measurement; `label` names the file's kind (`hey CSV`). */
export function checkRecord(r: RequestRecord, line: number, label: string): void {
  const bad = (what: string) => rowError(label, line, what);
  if (!(r.latencyMs >= 0)) throw bad(`the latency is negative (${r.latencyMs} ms)`);
  if (r.latencyMs > MAX_LATENCY_MS) {
    throw bad(`the latency ${r.latencyMs} ms is longer than a day; the value is corrupt`);
  }
  if (r.ttfbMs !== null && !(r.ttfbMs >= 0 && r.ttfbMs <= MAX_LATENCY_MS)) {
    throw bad(`the time to first byte ${r.ttfbMs} ms is outside 0 to 24 h`);
  }
  for (const [value, what] of PHASES_CHECKED) {
    const v = r[value];
    if (v !== null && !(v >= 0 && v <= MAX_LATENCY_MS)) {
      throw bad(`the ${what} ${v} ms is outside 0 to 24 h`);
    }
  }
  if (!Number.isInteger(r.status) || r.status < 0 || r.status > 999) {
    throw bad(`the status code ${r.status} is not 0 or a three-digit HTTP status`);
  }
  if (!(r.bytes >= 0) || !Number.isSafeInteger(r.bytes)) {
    throw bad(`the byte count ${r.bytes} is not a whole number >= 0`);
  }
  if (!(r.startedMs >= 0) || !(r.scheduledMs >= 0)) {
    throw bad(`the start time ${Math.min(r.startedMs, r.scheduledMs)} is negative`);
  }
  if (!Number.isSafeInteger(r.id) || r.id < 0) {
    throw bad(`the request id ${r.id} is not a whole number >= 0`);
  }
  if (!Number.isSafeInteger(r.worker) || r.worker < 0) {
    throw bad(`the worker ${r.worker} is not a whole number >= 0`);
  }
}

/** A request id appears twice in one file (a SyntaxError, so readers report it as bad input). */
export class DuplicateIdError extends SyntaxError {
  override name = "DuplicateIdError";
  /** The repeated id. */
  readonly id: number;
  constructor(message: string, id: number) {
    super(message);
    this.id = id;
  }
}

/** A growable Float64Array: 8 bytes a value, no per-value object. */
export class Column {
  data: Float64Array = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  /** The values pushed so far (a view; do not keep it across `push`). */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Run-level checks: start times within {@linkcode MAX_SPAN_MS} of each
 * other, and (for formats with ids) no request id twice. Memory: 8 bytes a
 * row for the ids. `label` names the file's kind in messages (`hey CSV`).
 */
export class RunChecks {
  #label: string;
  #ids: Column | null;
  #min = Infinity;
  #max = -Infinity;
  #minLine = 0;
  #maxLine = 0;

  constructor(label: string, uniqueIds: boolean) {
    this.#label = label;
    this.#ids = uniqueIds ? new Column() : null;
  }

  add(r: RequestRecord, line: number): void {
    const t = Math.min(r.startedMs, r.scheduledMs);
    if (t < this.#min) {
      this.#min = t;
      this.#minLine = line;
    }
    if (r.startedMs > this.#max) {
      this.#max = r.startedMs;
      this.#maxLine = line;
    }
    if (this.#max - this.#min > MAX_SPAN_MS) {
      throw new SyntaxError(
        `Cannot read ${this.#label}: start times span more than 7 days (line ${this.#minLine} has ${this.#min}, line ${this.#maxLine} has ${this.#max} ms); one run cannot, so a row is corrupt`,
      );
    }
    this.#ids?.push(r.id);
  }

  /** Checks what needs every row; call at the end. */
  finish(): void {
    if (!this.#ids) return;
    const ids = this.#ids.view().sort();
    for (let i = 1; i < ids.length; i++) {
      if (ids[i] === ids[i - 1]) {
        throw new DuplicateIdError(
          `Cannot read ${this.#label}: request_id ${
            ids[i]
          } appears more than once; a run counts each request once (was a file concatenated twice?)`,
          ids[i]!,
        );
      }
    }
  }
}

/** Runs `f`; a SyntaxError from it quotes the input, so it loses ESC and NUL before a terminal. */
function printableErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof SyntaxError) throw new SyntaxError(printable(err.message, 2000));
    throw err;
  }
}

/**
 * Turns lines into records for one format, batch by batch: header, quoted
 * fields spanning lines, the format's decoder, then the checks.
 */
export class RowAssembler {
  #spec: FormatSpec;
  /** The label in messages: `hey CSV`, `k6 JSON`. */
  #label: string;
  #decode: RowDecoder | null = null;
  #pending = "";
  #pendingLine = 0;
  /** The last line read (for a record handed over at the end). */
  #lastLine = 0;
  readonly checks: RunChecks;

  constructor(spec: FormatSpec) {
    this.#spec = spec;
    this.#label = `${spec.label} ${spec.noun ?? "CSV"}`;
    this.checks = new RunChecks(this.#label, spec.uniqueIds);
    if (!spec.header) this.#decode = spec.open(null, 0);
  }

  /** Records of one batch of lines, in file order. */
  push(batch: LineBatch): RequestRecord[] {
    return printableErrors(() => this.#push(batch));
  }

  /** Checks a decoded record and adds it to `out`. */
  #take(r: RequestRecord, line: number, out: RequestRecord[]): void {
    checkRecord(r, line, this.#label);
    this.checks.add(r, line);
    out.push(r);
  }

  #push(batch: LineBatch): RequestRecord[] {
    const out: RequestRecord[] = [];
    const spec = this.#spec;
    const { lines, first } = batch;
    for (let i = 0; i < lines.length; i++) {
      const n = first + i;
      let text = lines[i]!;
      let line = n;
      if (this.#pending !== "") {
        text = this.#pending + "\n" + text;
        line = this.#pendingLine;
        this.#pending = "";
      } else if (text === "" || (spec.quoted && text.trim() === "")) continue;
      let fields: string[] | null;
      if (spec.quoted) {
        fields = splitFields(text);
        if (fields === null) {
          if (text.length > MAX_LINE_BYTES) {
            throw rowError(this.#label, line, "a quoted field is not closed within 1 MiB");
          }
          this.#pending = text;
          this.#pendingLine = line;
          continue;
        }
      } else fields = spec.wholeLines ? [text] : text.split(",");
      if (this.#decode === null) {
        this.#decode = spec.open(fields, line);
        continue;
      }
      this.#lastLine = line;
      const r = this.#decode(fields, line);
      if (r !== null) this.#take(r, line, out);
    }
    return out;
  }

  /**
   * Ends the input: returns the records the decoder still held (checked like
   * the rest); throws on an open quote, an empty file, or a failed run check.
   */
  end(): RequestRecord[] {
    if (this.#pending !== "") {
      throw rowError(
        this.#label,
        this.#pendingLine,
        "a quoted field is not closed before the end of the file",
      );
    }
    if (this.#decode === null) {
      throw new SyntaxError(`Cannot read ${this.#label}: the file is empty`);
    }
    const out: RequestRecord[] = [];
    const last = this.#decode.flush?.() ?? null;
    if (last !== null) printableErrors(() => this.#take(last, this.#lastLine, out));
    this.checks.finish();
    return out;
  }
}

/** Records of a whole text, for the pure `read*Csv(text)` readers. */
export function readText(spec: FormatSpec, text: string): RequestRecord[] {
  const rows = new RowAssembler(spec);
  const lines = text.split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  if (lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1);
  const out = rows.push({ lines, first: 1 });
  out.push(...rows.end());
  return out;
}

/** A quoted, escaped field value for a message. */
export function shown(raw: string | undefined): string {
  return `"${printable(raw ?? "")}"`;
}
