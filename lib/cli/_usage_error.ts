/**
 * A problem with what the user typed or gave us. The CLI prints its message
 * on one line and exits 2, without a stack trace.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
