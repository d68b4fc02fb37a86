/**
 * A targets file (`--targets FILE`): many requests, each with a target name
 * and a weight, in vegeta's http format or in JSON lines, and the request
 * sequence drawn from them before the run. Pure: the caller reads the file
 * and any body files (bounded) and passes text and bytes in.
 *
 * Formats, detected from the first line that is not blank or a `#` comment:
 * - JSON lines (it starts with `{`): one object per line with `url` and
 *   optionally `name`, `method`, `header` (`{"Name": "value" | ["v1", …]}`),
 *   one of `body` (text), `body_file` (a path) or `body_base64`, and
 *   `weight` (a whole number ≥ 1, default 1);
 * - vegeta's http format: `METHOD URL`, then `Name: value` header lines and
 *   an optional `@path` body line, a blank line between targets.
 *
 * A line without `name` is named `METHOD /path`; lines without a name that
 * share method and path form one target (a request feed: one endpoint, many
 * bodies). A name given twice is an error.
 *
 * @module
 */
import type { HttpRequest } from "../client/types.ts";
import { deriveSeed } from "../rng.ts";

/** The methods a target may use. */
export const TARGET_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Most request lines a targets file may hold (each is held in memory, body and all). */
export const MAX_ENTRIES = 100_000;

/** Largest target weight. */
export const MAX_WEIGHT = 1_000_000;

/** One request line of a targets file, its body not yet read when it names a file. */
export interface TargetEntry {
  /** The target this request counts under. */
  name: string;
  /** Whether `name` was written in the file (not derived). */
  named: boolean;
  method: string;
  url: string;
  headers: [string, string][];
  /** The body: none, bytes, or a file to read (relative to the working directory). */
  body: null | Uint8Array<ArrayBuffer> | { file: string };
  weight: number;
  /** 1-based line of the file where the entry starts. */
  line: number;
}

/** A parsed targets file. */
export interface TargetsFile {
  format: "jsonl" | "http";
  entries: TargetEntry[];
  /** The target names, in order of first appearance. */
  names: string[];
}

const NAME = /^[A-Za-z0-9_.~/+@=()[\]{}!$&'*;?<>|^-][ A-Za-z0-9_.~/+@=()[\]{}!$&'*;?<>|^-]{0,63}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KEYS = new Set([
  "name",
  "method",
  "url",
  "header",
  "body",
  "body_file",
  "body_base64",
  "weight",
]);

function fail(file: string, line: number, problem: string): SyntaxError {
  return new SyntaxError(`Invalid targets file ${file}, line ${line}: ${problem}`);
}

function method(text: string, file: string, line: number): string {
  const m = text.toUpperCase();
  if (!(TARGET_METHODS as readonly string[]).includes(m)) {
    throw fail(
      file,
      line,
      `unknown method "${text.slice(0, 20)}"; use ${TARGET_METHODS.join(", ")}`,
    );
  }
  return m;
}

function absoluteUrl(text: string, file: string, line: number): string {
  let u: URL | null = null;
  try {
    if (/^https?:\/\//i.test(text)) u = new URL(text);
  } catch { /* reported below */ }
  if (u === null || u.hostname === "") {
    throw fail(
      file,
      line,
      `"${
        text.slice(0, 60)
      }" is not an absolute http(s) URL; write it in full, e.g. http://127.0.0.1:8080/api`,
    );
  }
  return u.href;
}

function header(name: string, value: string, file: string, line: number): [string, string] {
  if (!TOKEN.test(name)) throw fail(file, line, `malformed header name "${name.slice(0, 40)}"`);
  if (/[\r\n\0]/.test(value)) {
    throw fail(file, line, `header "${name}" has a line break in its value`);
  }
  return [name, value];
}

function weight(v: unknown, file: string, line: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_WEIGHT) {
    throw fail(
      file,
      line,
      `weight ${JSON.stringify(v) ?? String(v)} is not a whole number from 1 to ${MAX_WEIGHT}`,
    );
  }
  return v;
}

/**
 * The name of an unnamed target: method and path, characters a name cannot hold as `_`.
 *
 * @example
 * ```ts
 * import { derivedName } from "./targets.ts";
 * derivedName("POST", "http://127.0.0.1:8080/v1/infer?x=1"); // "POST /v1/infer"
 * ```
 */
export function derivedName(method: string, url: string): string {
  const path = new URL(url).pathname;
  return `${method} ${path.replace(/[^A-Za-z0-9_.~/+@=()[\]{}!$&'*;?<>|^-]/g, "_")}`.slice(0, 64);
}

function checkName(name: unknown, file: string, line: number): string {
  if (typeof name !== "string" || !NAME.test(name) || name.endsWith(" ")) {
    throw fail(
      file,
      line,
      `invalid name ${
        JSON.stringify(name)?.slice(0, 70)
      }; use 1 to 64 letters, digits, spaces or punctuation other than , " : (no leading or trailing space)`,
    );
  }
  return name;
}

function base64(text: string, file: string, line: number): Uint8Array<ArrayBuffer> {
  try {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    throw fail(file, line, "body_base64 is not valid base64");
  }
}

function jsonEntry(text: string, file: string, line: number): TargetEntry {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    throw fail(file, line, `not a JSON object (${(err as Error).message.split("\n")[0]})`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw fail(
      file,
      line,
      'not a JSON object; write one target per line, e.g. {"url": "http://127.0.0.1:8080/"}',
    );
  }
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!KEYS.has(k)) {
      throw fail(file, line, `unknown key "${k.slice(0, 30)}"; use ${[...KEYS].join(", ")}`);
    }
  }
  if (typeof r.url !== "string") throw fail(file, line, 'missing "url"');
  const bodies = ["body", "body_file", "body_base64"].filter((k) => r[k] !== undefined);
  if (bodies.length > 1) throw fail(file, line, `give one of ${bodies.join(", ")}, not both`);
  for (const k of bodies) {
    if (typeof r[k] !== "string") throw fail(file, line, `"${k}" is not a string`);
  }
  let body: TargetEntry["body"] = null;
  if (typeof r.body === "string") body = new TextEncoder().encode(r.body);
  else if (typeof r.body_base64 === "string") body = base64(r.body_base64, file, line);
  else if (typeof r.body_file === "string") {
    if (r.body_file === "") throw fail(file, line, "body_file is empty");
    body = { file: r.body_file };
  }
  if (r.method !== undefined && typeof r.method !== "string") {
    throw fail(file, line, '"method" is not a string');
  }
  const m = method(
    (r.method as string | undefined) ?? (body === null ? "GET" : "POST"),
    file,
    line,
  );
  const url = absoluteUrl(r.url, file, line);
  const headers: [string, string][] = [];
  if (r.header !== undefined) {
    if (typeof r.header !== "object" || r.header === null || Array.isArray(r.header)) {
      throw fail(file, line, '"header" is not an object of names to values');
    }
    for (const [n, v] of Object.entries(r.header as Record<string, unknown>)) {
      const values = Array.isArray(v) ? v : [v];
      for (const x of values) {
        if (typeof x !== "string") {
          throw fail(file, line, `header "${n.slice(0, 40)}" is not a string`);
        }
        headers.push(header(n, x, file, line));
      }
    }
  }
  return {
    name: r.name === undefined ? derivedName(m, url) : checkName(r.name, file, line),
    named: r.name !== undefined,
    method: m,
    url,
    headers,
    body,
    weight: r.weight === undefined ? 1 : weight(r.weight, file, line),
    line,
  };
}

function tooMany(file: string, line: number): SyntaxError {
  return fail(
    file,
    line,
    `more than ${MAX_ENTRIES} targets; keep the file to ${MAX_ENTRIES} requests (weights repeat them)`,
  );
}

function httpEntries(lines: string[], file: string): TargetEntry[] {
  const out: TargetEntry[] = [];
  let cur: TargetEntry | null = null;
  let bodySeen = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const text = lines[i]!.trim();
    if (text === "") {
      cur = null;
      continue;
    }
    if (text.startsWith("#")) continue;
    if (cur === null) {
      const m = /^(\S+)\s+(\S+)$/.exec(text);
      if (!m) throw fail(file, n, `expected "METHOD URL", e.g. GET http://127.0.0.1:8080/api`);
      if (out.length === MAX_ENTRIES) throw tooMany(file, n);
      const me = method(m[1]!, file, n);
      const url = absoluteUrl(m[2]!, file, n);
      cur = {
        name: derivedName(me, url),
        named: false,
        method: me,
        url,
        headers: [],
        body: null,
        weight: 1,
        line: n,
      };
      bodySeen = false;
      out.push(cur);
      continue;
    }
    if (text.startsWith("@")) {
      if (bodySeen) throw fail(file, n, "a second @body line; a target has one body");
      const path = text.slice(1).trim();
      if (path === "") throw fail(file, n, "missing file name after @");
      cur.body = { file: path };
      bodySeen = true;
      continue;
    }
    if (bodySeen) throw fail(file, n, "a header after the @body line; headers come first");
    const c = text.indexOf(":");
    if (c <= 0) {
      throw fail(file, n, `expected a "Name: value" header, an @body-file line or a blank line`);
    }
    cur.headers.push(header(text.slice(0, c).trim(), text.slice(c + 1).trim(), file, n));
  }
  return out;
}

/**
 * Parses a targets file's text. `file` names it in errors.
 *
 * @throws {SyntaxError} naming the file and line: a malformed line, an
 * unknown method, a relative URL, a bad weight or name, a name given twice,
 * or no target at all.
 *
 * @example
 * ```ts
 * import { parseTargets } from "./targets.ts";
 * const t = parseTargets('{"name":"a","url":"http://127.0.0.1:8080/a","weight":2}\n', "t.jsonl");
 * t.names; // ["a"]
 * ```
 */
export function parseTargets(text: string, file: string): TargetsFile {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  if (first === undefined) {
    throw new SyntaxError(`Invalid targets file ${file}: it holds no target; write one per line`);
  }
  const format = first.trim().startsWith("{") ? "jsonl" : "http";
  let entries: TargetEntry[];
  if (format === "http") entries = httpEntries(lines, file);
  else {
    entries = [];
    for (let i = 0; i < lines.length; i++) {
      const t = lines[i]!.trim();
      if (t === "" || t.startsWith("#")) continue;
      if (entries.length === MAX_ENTRIES) throw tooMany(file, i + 1);
      entries.push(jsonEntry(t, file, i + 1));
    }
  }
  const named = new Map<string, number>();
  const derived = new Map<string, number>();
  for (const e of entries) {
    // A written name clashes with any earlier use; a derived one only with a written one.
    const seen = named.get(e.name) ?? (e.named ? derived.get(e.name) : undefined);
    if (seen !== undefined) {
      throw fail(
        file,
        e.line,
        `target name "${e.name}" is already used on line ${seen}; give each target its own name`,
      );
    }
    (e.named ? named : derived).set(e.name, e.line);
  }
  const names = [...new Set(entries.map((e) => e.name))];
  return { format, entries, names };
}

/** The request order: `round-robin` by weight, or a seeded `weighted` draw. */
export type MixKind = "round-robin" | "weighted";

/** Maps a request's run-wide index to its entry in a targets file. */
export interface TargetSequence {
  /** The entry index (into `entries`) of request `k` (0-based, run-wide, warm-up included). */
  at(k: number): number;
  /** How the sequence was drawn. */
  mix: MixKind;
}

/**
 * The request sequence, fixed before the run and a pure function of the
 * request index, so shards that take every Nth request together send the
 * one-machine sequence. `round-robin` repeats one cycle of `sum(weights)`
 * requests interleaved smoothly (nginx's smooth weighted round robin: 1:1:2
 * gives c a b c), or, when cycle × targets is over 2^24 (a large feed), each
 * target's `weight` requests in a run, in file order; `weighted` draws each request independently with
 * probability weight/sum from `seed`.
 *
 * @example
 * ```ts
 * import { targetSequence } from "./targets.ts";
 * const s = targetSequence([1, 1, 2], "round-robin", 7);
 * [0, 1, 2, 3].map((k) => s.at(k)); // [2, 0, 1, 2]
 * ```
 */
export function targetSequence(
  weights: readonly number[],
  mix: MixKind,
  seed: number,
): TargetSequence {
  if (weights.length === 0) throw new RangeError("Cannot build a request sequence: no targets");
  const total = weights.reduce((a, b) => a + b, 0);
  if (mix === "weighted") {
    const cumulative = new Float64Array(weights.length);
    let acc = 0;
    weights.forEach((w, i) => (cumulative[i] = acc += w / total));
    return {
      mix,
      at(k) {
        const u = deriveSeed(seed, k, 0x7a67) / 4294967296;
        let lo = 0;
        let hi = weights.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (u < cumulative[mid]!) hi = mid;
          else lo = mid + 1;
        }
        return lo;
      },
    };
  }
  // One cycle of smooth weighted round robin (O(cycle × targets) to build), kept when small;
  // else plain runs in file order (the same order when every weight is 1).
  if (total * weights.length <= 1 << 24) {
    const cycle = new Uint32Array(total);
    const current = new Float64Array(weights.length);
    for (let k = 0; k < total; k++) {
      let best = 0;
      for (let i = 0; i < weights.length; i++) {
        current[i]! += weights[i]!;
        if (current[i]! > current[best]!) best = i;
      }
      current[best]! -= total;
      cycle[k] = best;
    }
    return { mix, at: (k) => cycle[k % total]! };
  }
  const starts = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => {
    starts[i] = acc;
    acc += w;
  });
  return {
    mix,
    at(k) {
      // The last entry whose run starts at or before k's place in the cycle.
      const r = k % total;
      let lo = 0;
      let hi = weights.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= r) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

/**
 * A targets file's requests as a run draws them: the request and the target
 * name of each run-wide request index (warm-up included; shards and the
 * suite's two clients index the same sequence).
 */
export interface TargetsPick {
  requestFor: (k: number) => HttpRequest;
  targetFor: (k: number) => string;
  /** The target names, in the order reports list them. */
  names: readonly string[];
}

/**
 * The request of an entry whose body has been read (a body without a
 * content-type is sent as `application/json`, as `bench --body`).
 *
 * @example
 * ```ts
 * import { entryRequest, parseTargets } from "./targets.ts";
 * const [e] = parseTargets('{"url":"http://127.0.0.1:8080/a"}', "t.jsonl").entries;
 * entryRequest(e!, null).method; // "GET"
 * ```
 */
export function entryRequest(e: TargetEntry, body: Uint8Array<ArrayBuffer> | null): HttpRequest {
  const headers = [...e.headers];
  if (body !== null && !headers.some(([n]) => n.toLowerCase() === "content-type")) {
    headers.push(["content-type", "application/json"]);
  }
  return { url: e.url, method: e.method, headers, body };
}
