import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseDuration } from "../duration.ts";
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

/**
 * Parses a request rate such as `100`, `100/s`, `2.5/s` or `600/m` into
 * requests per second, naming the flag on error.
 */
export function rateOption(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:\/\s*(s|sec|m|min))?\s*$/i.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `Invalid value for ${flag}: "${text}" is not a positive rate; e.g. ${flag} 100 (per second) or ${flag} 600/m`,
    );
  }
  const unit = (m[2] ?? "s").toLowerCase();
  return unit.startsWith("m") ? n / 60 : n;
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
