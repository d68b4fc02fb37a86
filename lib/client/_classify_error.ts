import type { ErrorKind } from "../record.ts";

/**
 * Maps an error thrown by `fetch` (or a socket) to an {@linkcode ErrorKind}.
 * Deno's error messages are matched loosely because their wording differs
 * across versions; anything unrecognized is `other`.
 *
 * URLs and socket addresses are removed from the text before matching:
 * Deno puts the request URL in its messages ("error sending request for url
 * (https://ssl.example.com/timeout)…"), and a host or path must not decide
 * the kind.
 *
 * Messages seen with Deno 2.9.6 (see `tests/classify_error_test.ts`):
 * - `error reading a body from connection`: the connection closed after the
 *   headers, mid-body → `reset`.
 * - `stream error received: …`, `connection error received: …`: the HTTP/2
 *   peer reset the stream (`RST_STREAM`) or closed the connection (`GOAWAY`)
 *   → `reset`.
 * - `stream error detected: …`, `connection error detected: …`: the client's
 *   HTTP/2 layer found a protocol violation (e.g. `frame with invalid size`
 *   when h2c meets an HTTP/1.1-only server) → `protocol`.
 * - `message head is too large`: a response head over hyper's limit →
 *   `protocol` (`fast` says `header block larger than 64 KiB`).
 * - `received corrupt message of type InvalidContentType`: rustls got
 *   plain HTTP where a TLS record belongs (`https://` to an `http://`
 *   server) → `tls`.
 *
 * A denied permission (`Deno.errors.NotCapable` or `PermissionDenied`) is
 * not something the server did, so it gets no kind: it is thrown again, and
 * the command stops with a usage error naming the flag to add.
 *
 * @throws {Deno.errors.NotCapable} the error itself, for a denied permission.
 *
 * @example
 * ```ts
 * import { classifyError } from "./_classify_error.ts";
 * classifyError(new TypeError("error reading a body from connection")); // "reset"
 * ```
 */
export function classifyError(err: unknown): ErrorKind {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    throw err;
  }
  if (err instanceof DOMException) {
    if (err.name === "TimeoutError") return "timeout";
    if (err.name === "AbortError") return "aborted";
  }
  if (err instanceof Deno.errors.ConnectionRefused) return "connect_refused";
  if (err instanceof Deno.errors.ConnectionReset) return "reset";
  if (err instanceof Deno.errors.TimedOut) return "timeout";
  const text = stripLocations(collectMessages(err).toLowerCase());
  if (/timed? ?out|timeout/.test(text)) return "timeout";
  if (/connection refused|econnrefused|os error 111/.test(text)) return "connect_refused";
  if (
    /dns error|failed to lookup|name or service not known|no address associated|nodename nor servname|os error -2|resolve/
      .test(text)
  ) return "dns";
  if (
    /certificate|tls|ssl|handshake|unknownissuer|invalid peer|corrupt message|invalidcontenttype/
      .test(text)
  ) return "tls";
  if (/(stream|connection) error detected/.test(text)) return "protocol";
  if (
    /reset|broken pipe|connection closed|incomplete message|unexpected eof|connection aborted|os error 104|os error 32|error reading a body|(stream|connection) error received/
      .test(text)
  ) return "reset";
  if (
    /parse|invalid (http|header|status|chunk|response)|protocol|head is too large|too many headers/
      .test(text)
  ) return "protocol";
  if (/abort/.test(text)) return "aborted";
  return "other";
}

/**
 * Whether `fetch` failed because a connection attempt it was waiting on was
 * abandoned: `client error (Connect): request was canceled`. With HTTP/2,
 * concurrent requests share one connection attempt; when it fails only one
 * request gets the cause (refused, TLS, DNS) and the others get this, which
 * {@linkcode classifyError} can only call `other`. A client that remembers
 * the kind of its last connect failure can use it for these.
 *
 * @example
 * ```ts
 * import { isCanceledConnect } from "./_classify_error.ts";
 * const err = new TypeError("fetch failed", {
 *   cause: new Error("error sending request for url (http://127.0.0.1:1/): client error (Connect): request was canceled"),
 * });
 * isCanceledConnect(err); // true
 * ```
 */
export function isCanceledConnect(err: unknown): boolean {
  return /client error \(connect\): request was canceled/.test(collectMessages(err).toLowerCase());
}

/**
 * An error's message and those of its causes, joined by `: ` (a message
 * that repeats the last one is left out): the text the summary shows as the
 * cause of a failure.
 *
 * @example
 * ```ts
 * import { describeError } from "./_classify_error.ts";
 * describeError(new TypeError("fetch failed", { cause: new Error("invalid peer certificate: UnknownIssuer") }));
 * // "fetch failed: invalid peer certificate: UnknownIssuer"
 * ```
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (const cur of causeChain(err)) {
    // Deno names the URL and both socket addresses: the same failure would read differently
    // for every source port, and the URL is already in the summary's title.
    const text = (cur instanceof Error ? cur.message || cur.name : String(cur))
      .replace(
        /error sending request (?:from \S+ )?for (?:url )?\(?[^\s)]+\)?(?: \([^)]*\))?: /,
        "",
      );
    if (text !== "" && !parts.some((p) => p.includes(text))) parts.push(text);
  }
  return parts.join(": ");
}

/** Removes URLs and `host:port` socket addresses, which carry no error meaning. */
function stripLocations(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*/g, " ")
    .replace(/\(\s*[^()\s]*:\d+\s*\)/g, " ")
    .replace(/\b(from|for|to) [^\s]+:\d+\b/g, " ");
}

/** An error and its causes, at most five; the chain ends at a cause that is not an `Error`. */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    chain.push(cur);
    if (!(cur instanceof Error)) break;
    cur = cur.cause;
  }
  return chain;
}

function collectMessages(err: unknown): string {
  return causeChain(err)
    .flatMap((cur) => cur instanceof Error ? [cur.name, cur.message] : [String(cur)])
    .join(" ");
}
