/**
 * A file the run had to write could not be written (disk full, a device
 * that refuses writes, an I/O error). The CLI prints its message on one line
 * and exits 4: the run itself failed.
 *
 * @module
 */

/**
 * A failed write, naming the file and the cause.
 *
 * @example
 * ```ts
 * import { WriteError } from "./write_error.ts";
 * const e = new WriteError("out.json", new Error("No space left on device (os error 28)"));
 * e.message; // "Cannot write out.json: No space left on device (os error 28)"
 * ```
 */
export class WriteError extends Error {
  override name = "WriteError";
  /** The file that could not be written. */
  readonly path: string;

  /**
   * @param what The flag or role of the file, e.g. `--json` (optional).
   * @param note What became of the file, e.g. `nothing was written` (optional).
   */
  constructor(path: string, cause: unknown, what = "", note = "") {
    const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(`Cannot write ${what ? `${what} ` : ""}${path}: ${why}${note ? `; ${note}` : ""}`, {
      cause,
    });
    this.path = path;
  }
}
