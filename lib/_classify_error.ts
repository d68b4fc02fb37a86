import type { ErrorKind } from "./record.ts";

/**
 * Maps an error thrown by `fetch` (or a socket) to an {@linkcode ErrorKind}.
 * Deno's error messages are matched loosely because their wording differs
 * across versions; anything unrecognized is `other`.
 */
export function classifyError(err: unknown): ErrorKind {
  if (err instanceof DOMException) {
    if (err.name === "TimeoutError") return "timeout";
    if (err.name === "AbortError") return "aborted";
  }
  if (err instanceof Deno.errors.ConnectionRefused) return "connect_refused";
  if (err instanceof Deno.errors.ConnectionReset) return "reset";
  if (err instanceof Deno.errors.TimedOut) return "timeout";
  const text = collectMessages(err).toLowerCase();
  if (/timed? ?out|timeout/.test(text)) return "timeout";
  if (/connection refused|econnrefused|os error 111/.test(text)) return "connect_refused";
  if (
    /dns error|failed to lookup|name or service not known|no address associated|nodename nor servname|os error -2|resolve/
      .test(text)
  ) return "dns";
  if (/certificate|tls|ssl|handshake|unknownissuer|invalid peer/.test(text)) return "tls";
  if (
    /reset|broken pipe|connection closed|incomplete message|unexpected eof|connection aborted|os error 104|os error 32/
      .test(text)
  ) return "reset";
  if (/parse|invalid (http|header|status|chunk|response)|protocol/.test(text)) return "protocol";
  if (/abort/.test(text)) return "aborted";
  return "other";
}

function collectMessages(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur instanceof Error) {
      parts.push(cur.name, cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(" ");
}
