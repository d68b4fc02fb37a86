import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseDuration } from "../duration.ts";
import { formatBytes } from "../read_bounded.ts";
import { UsageError } from "./_usage_error.ts";

/** Option descriptions for `node:util` parseArgs plus help text. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & {
  help: string;
  /** Placeholder shown in help, e.g. `N` or `DURATION`. */
  arg?: string;
};

/** A command's options by long name. */
export type OptionSpecs = Record<string, OptionSpec>;

/** Parsed values: strings, booleans, and arrays for `multiple` options. */
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Parses argv strictly. Unknown flags and missing values become a
 * {@linkcode UsageError} naming the flag and pointing at `--help`.
 */
export function parseCommandArgs(
  command: string,
  args: string[],
  specs: OptionSpecs,
): { values: Values; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const { help: _h, arg: _a, ...rest } = spec;
    options[name] = rest;
  }
  options["help"] = { type: "boolean", short: "h" };
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as Values, positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) {
      throw new UsageError(
        `Unknown option ${unknown[1]} for "${command}": see tailgate ${command} --help`,
      );
    }
    const ambiguous = /Option '([^',]+)[^']*' argument is ambiguous/.exec(msg);
    if (ambiguous) {
      throw new UsageError(
        `Invalid value for ${
          ambiguous[1]
        }: the next argument starts with "-"; give the flag a value (negative numbers are not allowed): see tailgate ${command} --help`,
      );
    }
    const missing = /Option '([^']+)' argument missing/.exec(msg);
    if (missing) {
      throw new UsageError(`Option ${missing[1]} needs a value: see tailgate ${command} --help`);
    }
    throw new UsageError(`${msg.split("\n")[0]}: see tailgate ${command} --help`);
  }
}

/** Renders the options table for `--help`. */
export function formatOptions(specs: OptionSpecs): string {
  const rows: [string, string][] = Object.entries(specs).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : "    "}--${name}${
      s.type === "string" ? ` ${s.arg ?? "VALUE"}` : ""
    }`;
    const dflt = s.default !== undefined && s.default !== false ? ` (default: ${s.default})` : "";
    return [flag, `${s.help}${dflt}`];
  });
  rows.push(["-h, --help", "Show this help"]);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([f, h]) => `  ${f.padEnd(w)}${h}`).join("\n");
}

/** A string option's value, or `undefined`. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === "string" ? v : undefined;
}

/** A repeatable string option's values. */
export function strs(values: Values, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Parses a positive integer option, or throws a UsageError naming it. */
export function positiveInt(flag: string, text: string, allowZero = false): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new UsageError(
      `Invalid value for ${flag}: "${text}" is not a ${
        allowZero ? "non-negative" : "positive"
      } whole number; e.g. ${flag} 100`,
    );
  }
  return n;
}

/** Parses a duration option such as `30s`, naming the flag on error. */
export function durationOption(flag: string, text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new SyntaxError(`Invalid duration "${text}": must be greater than zero`);
    return ms;
  } catch (err) {
    throw new UsageError(`Invalid value for ${flag}: ${(err as Error).message}`);
  }
}

/** The highest `--rate` accepted, in requests per second. */
export const MAX_RATE = 1_000_000;

/**
 * Parses a request rate such as `100`, `100/s`, `2.5/s`, `1e3` or `600/m`
 * into requests per second (at most {@linkcode MAX_RATE}), naming the flag
 * on error.
 */
export function rateOption(flag: string, text: string): number {
  const m = /^\s*((?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(?:\/\s*(s|sec|m|min))?\s*$/i.exec(
    text,
  );
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `Invalid value for ${flag}: ${
        quoted(text)
      } is not a positive rate; e.g. ${flag} 100 (per second) or ${flag} 600/m`,
    );
  }
  const unit = (m[2] ?? "s").toLowerCase();
  const perSecond = unit.startsWith("m") ? n / 60 : n;
  if (perSecond > MAX_RATE) {
    throw new UsageError(
      `Invalid value for ${flag}: ${quoted(text)} is above the maximum of ${
        MAX_RATE.toLocaleString("en-US")
      }/s; shard the load across workers (--shard) for more`,
    );
  }
  return perSecond;
}

/**
 * `text` with control characters (ESC, CR, NUL…) escaped as `\xNN` and line
 * and direction marks as `\uNNNN`, so printing it cannot move the cursor,
 * recolour the terminal or forge a line.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./_args.ts";
 * escapeControls("a\x1b[2J\rb"); // "a\\x1b[2J\\x0db"
 * ```
 */
export function escapeControls(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

/**
 * A user's value in double quotes, safe to print ({@linkcode escapeControls};
 * quotes and backslashes escaped too), cut to 80 characters.
 *
 * @example
 * ```ts
 * import { quoted } from "./_args.ts";
 * quoted("a\x1b[2Jb"); // '"a\\x1b[2Jb"'
 * ```
 */
export function quoted(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return `"${escapeControls(cut.replace(/["\\]/g, (c) => `\\${c}`))}"`;
}

/** The largest `--max-body` accepted: 1 GiB. */
export const MAX_BODY_CAP = 1 << 30;

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1 << 10,
  kib: 1 << 10,
  m: 1 << 20,
  mib: 1 << 20,
  g: 1 << 30,
  gib: 1 << 30,
};

/**
 * Parses a size such as `64MiB`, `512KiB`, `1G` or `1048576` (binary units)
 * into bytes, at most `max`, naming the flag on error.
 */
export function byteSizeOption(flag: string, text: string, max: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(
      `Invalid value for ${flag}: ${
        quoted(text)
      } is not a size; e.g. ${flag} 128MiB (units B, KiB, MiB, GiB)`,
    );
  }
  if (n > max) {
    throw new UsageError(
      `Invalid value for ${flag}: ${quoted(text)} is above the maximum of ${formatBytes(max)}`,
    );
  }
  return n;
}

/** Parses a value that is either a whole count (`50`) or a duration (`5s`). */
export function countOrDuration(
  flag: string,
  text: string,
): { count: number } | { durationMs: number } {
  if (/^\s*\d+\s*$/.test(text)) return { count: positiveInt(flag, text, true) };
  try {
    return { durationMs: parseDuration(text) };
  } catch (err) {
    throw new UsageError(
      `Invalid value for ${flag}: "${text}" is neither a request count (e.g. 50) nor a duration (e.g. 5s): ${
        (err as Error).message
      }`,
    );
  }
}
