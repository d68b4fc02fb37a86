/**
 * Why requests failed, in words: the first distinct messages of each error
 * kind in a run, a few per kind, kept in memory for the summary (never a CSV
 * column). The runner feeds it from each failed outcome's message. Pure.
 *
 * @module
 */
import { ERROR_KINDS, type ErrorKind } from "../record.ts";

/** Distinct messages kept per error kind. */
export const CAUSES_PER_KIND = 3;

/** A message longer than this is cut (a server can put anything in a status line). */
const MAX_MESSAGE = 300;

/** The message of a failure to open a socket or file: the client's own file-descriptor limit. */
const FD_LIMIT = /too many open files|os error 24\b|EMFILE/i;

/** What a kind means when the engine gave no message of its own. */
const DEFAULT_CAUSE: Partial<Record<ErrorKind, string>> = {
  timeout: "no complete response within --timeout",
  aborted: "still in flight when the run was stopped",
  dropped: "not sent: more than --drop-after behind its schedule",
};

/** The error messages of a run, by kind, in the order reports list kinds. */
export type ErrorCauseList = Partial<Record<ErrorKind, string[]>>;

/**
 * Collects the first {@linkcode CAUSES_PER_KIND} distinct messages of each
 * error kind. Messages are made one line and cut to 300 characters; they are
 * not redacted here (the command redacts everything it prints).
 *
 * @example
 * ```ts
 * import { ErrorCauses } from "./error_causes.ts";
 * const causes = new ErrorCauses();
 * causes.add("tls", "invalid peer certificate: UnknownIssuer", 0);
 * causes.add("tls", "invalid peer certificate: UnknownIssuer", 0);
 * causes.add("http_5xx", undefined, 503);
 * causes.list(); // { tls: ["invalid peer certificate: UnknownIssuer"], http_5xx: ["status 503"] }
 * ```
 */
export class ErrorCauses {
  #byKind = new Map<ErrorKind, string[]>();
  #fdLimit = 0;

  /**
   * Failures whose message says the client ran out of file descriptors
   * (`EMFILE`, "Too many open files"): tailgate's own limit, not the server.
   */
  get fdLimit(): number {
    return this.#fdLimit;
  }

  /**
   * Notes one failure: its kind, the engine's message (if any) and the
   * status (0 for none), which stands in for a missing message.
   */
  add(kind: ErrorKind, message: string | undefined, status: number): void {
    if (kind === "") return;
    if (message !== undefined && FD_LIMIT.test(message)) this.#fdLimit++;
    let list = this.#byKind.get(kind);
    if (list === undefined) {
      list = [];
      this.#byKind.set(kind, list);
    }
    if (list.length >= CAUSES_PER_KIND) return;
    const text = message !== undefined
      ? oneLine(message)
      : status > 0
      ? statusCause(status)
      : DEFAULT_CAUSE[kind];
    if (text !== undefined && text !== "" && !list.includes(text)) list.push(text);
  }

  /**
   * Folds in another collector's {@linkcode list} and {@linkcode fdLimit}
   * (a `bench --workers` thread's), keeping at most the same few per kind.
   */
  absorb(list: ErrorCauseList, fdLimit: number): void {
    this.#fdLimit += fdLimit;
    for (const [kind, messages] of Object.entries(list) as [ErrorKind, string[]][]) {
      let mine = this.#byKind.get(kind);
      if (mine === undefined) this.#byKind.set(kind, mine = []);
      for (const m of messages) {
        if (mine.length < CAUSES_PER_KIND && !mine.includes(m)) mine.push(m);
      }
    }
  }

  /** The messages by kind (kinds with none left out), in {@linkcode ERROR_KINDS} order. */
  list(): ErrorCauseList {
    const out: ErrorCauseList = {};
    for (const k of ERROR_KINDS) {
      const l = this.#byKind.get(k);
      if (l !== undefined && l.length > 0) out[k] = [...l];
    }
    return out;
  }
}

/** A final status as a cause; one outside 200–599 says why it is a protocol error. */
function statusCause(status: number): string {
  if (status < 200) return `status ${status}: an interim (1xx) status as the final response`;
  if (status >= 600) return `status ${status}: not an HTTP status (100–599)`;
  return `status ${status}`;
}

/** One line, no control characters, at most {@linkcode MAX_MESSAGE} characters. */
function oneLine(message: string): string {
  // deno-lint-ignore no-control-regex
  const s = message.replace(/[\x00-\x1f\x7f-\x9f]+/g, " ").replace(/\s+/g, " ").trim();
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s;
}
