/**
 * Habits from hey, oha, wrk, wrk2 and k6, met before the strict parser sees
 * the arguments: the ones that do not clash are accepted (`-z 10s` is a
 * duration, as in hey and oha), the ones that clash stop with one line that
 * names the tailgate equivalent, so `-d '{"a":1}'` never reads as a bad
 * duration and `-o csv` never creates a file named `csv`.
 *
 * @module
 */
import { UsageError } from "./_usage_error.ts";

const DURATION = /^\s*\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h)\s*$/i;
const NUMBER = /^\s*\d+(\.\d+)?\s*$/;
/** Output *formats* other tools take after `-o`; a tailgate `-o` takes a file path. */
const FORMATS = /^(csv|json|text|txt|html|ndjson|quiet|none)$/i;

/** Flags other tools have and tailgate spells differently: flag → the hint. */
const FOREIGN: Record<string, string> = {
  "-R": "a constant rate is --rate R (requests per second, as wrk2 -R)",
  "-t":
    "there is no thread option (one process; spread load with --shard I/N); the per-request timeout is --timeout 10s",
  "-T": "the Content-Type is --content-type TYPE",
  "-D": "a body from a file is --body @FILE",
  "-A": 'an Accept header is -H "Accept: TYPE"',
  "-a": 'basic auth is --secret-header "Authorization: Basic …"',
  "--latency": "latency percentiles are always printed",
  "--vus": "virtual users are -c C (requests in flight at once)",
  "--qps": "a rate is --rate R (requests per second)",
  "--http2": "HTTP/2 is chosen by --client optimized (the best protocol the server offers)",
  "--h2": "HTTP/2 is chosen by --client optimized (the best protocol the server offers)",
  "-h2": "HTTP/2 is chosen by --client optimized (the best protocol the server offers)",
};

/**
 * Rewrites or rejects other tools' habits in `args` (a subcommand's
 * arguments). `durationFlag` tells whether the command has `-d/--duration`
 * (bench does), which decides how `-z` and `-d VALUE` are read.
 *
 * @throws {UsageError} for a habit that means something else here.
 *
 * @example
 * ```ts
 * import { translateHabits } from "./_habits.ts";
 * translateHabits(["http://127.0.0.1:8080/", "-z", "10s"], { durationFlag: true });
 * // ["http://127.0.0.1:8080/", "--duration", "10s"]
 * ```
 */
export function translateHabits(
  args: readonly string[],
  options: { durationFlag: boolean },
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const [flag, inline] = splitInline(a);
    const value = inline ?? next;
    if (flag === "-z" && options.durationFlag) {
      out.push("--duration");
      if (inline !== undefined) out.push(inline);
      continue;
    }
    if (flag === "-d" && options.durationFlag && value !== undefined && !DURATION.test(value)) {
      // "30" or "30x" are durations gone wrong: the parser names the unit.
      if (!/^\s*[\d.]/.test(value)) {
        throw new UsageError(
          "-d is a duration here (e.g. -d 30s, like -z in hey and oha); a request body is --body TEXT or --body @FILE",
        );
      }
    }
    if (flag === "-q" && value !== undefined && inline !== undefined) {
      throw new UsageError(
        "-q is --quiet here and takes no value; a rate is --rate R (requests per second in total, not per worker as in hey)",
      );
    }
    if (flag === "-q" && inline === undefined && next !== undefined && NUMBER.test(next)) {
      throw new UsageError(
        `-q is --quiet here and takes no value; a rate is --rate ${next.trim()} (requests per second in total, not per worker as in hey)`,
      );
    }
    if ((flag === "-o" || flag === "--out") && value !== undefined && FORMATS.test(value)) {
      throw new UsageError(
        `-o takes a file path, not a format: -o ${value} would create a file named "${value}"; the output is always CSV: e.g. -o results/run.csv`,
      );
    }
    const hint = FOREIGN[flag];
    if (hint !== undefined) throw new UsageError(`Unknown option ${flag}: ${hint}`);
    out.push(a);
  }
  return out;
}

/** `--flag=value` → [`--flag`, `value`]; `-zVALUE` is left alone. */
function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  if (arg.startsWith("-") && eq > 1) return [arg.slice(0, eq), arg.slice(eq + 1)];
  return [arg, undefined];
}
