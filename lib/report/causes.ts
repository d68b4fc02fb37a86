/**
 * The causes of a run's failures in words: the first messages of each error
 * kind (`causes` lines) and one line of advice for the causes tailgate
 * recognizes (TLS certificates, plain HTTP on `https://`). Pure.
 *
 * @module
 */
import type { ErrorKind } from "../record.ts";
import type { ErrorCauseList } from "../stats/error_causes.ts";

/** A recognized cause: the kinds it applies to, a pattern of its message, and the advice. */
interface Known {
  kinds: readonly ErrorKind[];
  pattern: RegExp;
  advice: string;
}

/**
 * Checked in order; the first match of a message gives its advice. rustls
 * names a self-signed certificate `UnknownIssuer`, as any certificate whose
 * issuer is not trusted, so the last entry covers both.
 */
const KNOWN: readonly Known[] = [
  {
    kinds: ["tls", "other"],
    pattern: /corrupt message|invalidcontenttype|wrong version number|http request/i,
    advice: "the server answered in plain HTTP; use http://",
  },
  {
    kinds: ["protocol"],
    pattern: /replied (in HTTP\/1\.x|with text).*not HTTP\/2|frame with invalid size/i,
    advice:
      "the server speaks HTTP/1.1, not HTTP/2 with prior knowledge (h2c): use --client fast, or optimized (it probes and picks)",
  },
  {
    kinds: ["protocol", "tls"],
    pattern: /no ?application ?protocol/i,
    advice:
      "the server refused HTTP/1.1 by ALPN (it speaks HTTP/2 only): use --client optimized or fast-h2",
  },
  {
    kinds: ["reset"],
    pattern: /GOAWAY before processing/i,
    advice:
      "the server closed an HTTP/2 connection (GOAWAY) with these requests unprocessed, as nginx does after keepalive_requests (default 1000) per connection; fast-h2 never re-sends them: raise the server's limit (nginx: keepalive_requests)",
  },
  {
    kinds: ["tls"],
    pattern: /ca ?used ?as ?end ?entity/i,
    advice:
      "the server's certificate is a CA certificate (CaUsedAsEndEntity): use a CA-signed server certificate and pass the CA with --ca-cert",
  },
  {
    kinds: ["tls"],
    pattern: /expired|not ?valid ?yet|not valid (after|before)/i,
    advice:
      "the server's certificate is outside its validity dates: renew it (or check this machine's clock)",
  },
  {
    kinds: ["tls"],
    pattern: /not ?valid ?for ?name|name ?mismatch|subject ?alt/i,
    advice:
      "the server's certificate does not name the URL's host in its subjectAltName (SAN): use a host it names, or reissue it with this one",
  },
  {
    kinds: ["tls"],
    pattern: /unknown ?issuer|unknown ?ca\b|bad ?signature/i,
    advice:
      "the server's certificate is signed by a CA tailgate does not trust (or is self-signed): pass that CA's certificate with --ca-cert FILE.pem",
  },
];

/**
 * The advice for one failure message of `kind`, or `null` when the cause is
 * not one tailgate recognizes.
 *
 * @example
 * ```ts
 * import { causeAdvice } from "./causes.ts";
 * causeAdvice("tls", "invalid peer certificate: UnknownIssuer");
 * // "the server's certificate is signed by a CA tailgate does not trust (or is self-signed): pass that CA's certificate with --ca-cert FILE.pem"
 * ```
 */
export function causeAdvice(kind: ErrorKind, message: string): string | null {
  for (const k of KNOWN) if (k.kinds.includes(kind) && k.pattern.test(message)) return k.advice;
  return null;
}

/** The distinct pieces of advice for a run's causes, in the order of the causes. */
export function adviceFor(causes: ErrorCauseList): string[] {
  const out: string[] = [];
  for (const [kind, messages] of Object.entries(causes) as [ErrorKind, string[]][]) {
    for (const m of messages) {
      const a = causeAdvice(kind, m);
      if (a !== null && !out.includes(a)) out.push(a);
    }
  }
  return out;
}

/**
 * The summary lines for a run's causes: one `causes` line per message, the
 * kind first (after `label`, e.g. a client's name and a space), then, unless
 * `advice` is false, one `advice` line per recognized cause. Empty when
 * nothing failed.
 *
 * @example
 * ```ts
 * import { formatCauses } from "./causes.ts";
 * formatCauses({ http_5xx: ["status 503"] }); // ["causes        http_5xx: status 503"]
 * ```
 */
export function formatCauses(causes: ErrorCauseList, label = "", advice = true): string[] {
  const lines: string[] = [];
  for (const [kind, messages] of Object.entries(causes) as [ErrorKind, string[]][]) {
    for (const m of messages) {
      lines.push(`${lines.length === 0 ? "causes" : "      "}        ${label}${kind}: ${m}`);
    }
  }
  if (advice) { for (const a of adviceFor(causes)) lines.push(`advice        ${a}`); }
  return lines;
}

/**
 * The run measured tailgate's own limit, not the server: requests failed
 * because the process had no file descriptor left for a socket.
 *
 * @example
 * ```ts
 * import { fdWarning } from "./causes.ts";
 * fdWarning(3).startsWith("WARNING: 3 requests failed"); // true
 * ```
 */
export function fdWarning(count: number): string {
  return `WARNING: ${count} request${
    count === 1 ? "" : "s"
  } failed because tailgate ran out of file descriptors (its open-file limit, ulimit -n), not because of the server: raise the limit (ulimit -n 65536) or lower the concurrency, then run again; this run's numbers do not describe the server`;
}
