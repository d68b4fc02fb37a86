/**
 * Secret redaction for everything tailgate writes: JSON reports, logs and
 * error messages. Pure.
 *
 * A header is secret when its name is one of {@linkcode SECRET_HEADER_NAMES},
 * looks like a credential (contains `token`, `secret`, `password`, `api-key`,
 * `apikey`, `auth` or `session`), or was given with `--secret-header`. URL
 * passwords and credential-looking query parameters are secret too.
 *
 * @module
 */

/** The mask written in place of a secret. */
export const REDACTED = "[REDACTED]";

/** Header names that are always secret (lower case). */
export const SECRET_HEADER_NAMES: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
];

const AUTH_SCHEME =
  /^(bearer|basic|digest|token|apikey|negotiate|ntlm|hoba|mutual|aws4-hmac-sha256)$/i;
const SECRET_NAME = /token|secret|passw(or)?d|api[-_]?key|auth|session|cookie|credential/i;
const SECRET_PARAM =
  /^(.*[-_])?(token|secret|passw(or)?d|api[-_]?key|key|sig|signature|auth|session|credential)s?$/i;

/**
 * Whether a header carries a secret by its name alone (or is in `extra`,
 * lower-case names marked secret by the user).
 *
 * @example
 * ```ts
 * import { isSecretHeader } from "./redact.ts";
 * isSecretHeader("Authorization"); // true
 * isSecretHeader("X-Request-Id"); // false
 * isSecretHeader("X-Tenant", new Set(["x-tenant"])); // true
 * ```
 */
export function isSecretHeader(name: string, extra: ReadonlySet<string> = new Set()): boolean {
  const n = name.toLowerCase();
  return SECRET_HEADER_NAMES.includes(n) || extra.has(n) || SECRET_NAME.test(n);
}

/**
 * Masks the password (and user name) of a URL, the values of
 * credential-looking query parameters (`api_key`, `token`, `sig`, …) and the
 * whole fragment (`#access_token=…`, never sent to a server). Text that does
 * not parse as a URL gets the same masking by pattern.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * redactUrl("https://bob:hunter2@api.example.com/v1?api_key=abc&q=1");
 * // "https://[REDACTED]:[REDACTED]@api.example.com/v1?api_key=[REDACTED]&q=1"
 * redactUrl("https://app.example.com/cb#access_token=abc");
 * // "https://app.example.com/cb#[REDACTED]"
 * ```
 */
export function redactUrl(url: string): string {
  const byPattern = () =>
    url
      .replace(/(\/\/|^)[^/@\s]*@/, `$1${REDACTED}@`)
      .replace(/([?&;]([^=&;#]+)=)([^&;#]*)/g, (m, head, key) =>
        SECRET_PARAM.test(key) ? `${head}${REDACTED}` : m)
      .replace(/#[^]+$/, `#${REDACTED}`);
  // Without "scheme://" the parser would read "user:pass@host" as a scheme and a path.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url.trim())) return byPattern();
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return byPattern(); // a typo: mask what looks like credentials anyway
  }
  if (u.username) u.username = REDACTED;
  if (u.password) u.password = REDACTED;
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) u.searchParams.set(key, REDACTED);
  }
  if (u.hash.length > 1) u.hash = REDACTED;
  return u.href.replaceAll(encodeURIComponent(REDACTED), REDACTED);
}

/**
 * Knows the secret values of one run and removes them from any text.
 *
 * @example
 * ```ts
 * import { Redactor } from "./redact.ts";
 * const r = Redactor.forRequest("http://127.0.0.1:8080/api", [["Authorization", "Bearer s3cr3t-token"]]);
 * r.text("401 for Bearer s3cr3t-token"); // "401 for [REDACTED]"
 * r.text("token s3cr3t-token expired"); // "token [REDACTED] expired"
 * r.headers([["Authorization", "Bearer s3cr3t-token"]]); // [["Authorization", "[REDACTED]"]]
 * ```
 */
export class Redactor {
  #secrets: string[];
  #names: ReadonlySet<string>;

  /**
   * @param secrets Secret values to mask wherever they appear (values shorter than 4 characters are ignored, to not mask ordinary text).
   * @param names Extra lower-case header names to treat as secret.
   */
  constructor(secrets: Iterable<string>, names: ReadonlySet<string> = new Set()) {
    // Longest first, so a whole value is masked before a part of it.
    this.#secrets = [...new Set([...secrets].filter((s) => s.length >= 4))]
      .sort((a, b) => b.length - a.length);
    this.#names = names;
  }

  /**
   * A redactor for a request: the values of its secret headers (and each
   * word of them, e.g. the token after `Bearer`), the URL's user name and
   * password, credential-looking query parameter values, and its fragment
   * (whole, and each parameter value in it).
   */
  static forRequest(
    url: string,
    headers: readonly (readonly [string, string])[],
    secretNames: ReadonlySet<string> = new Set(),
  ): Redactor {
    const secrets: string[] = [];
    for (const [name, value] of headers) {
      if (!isSecretHeader(name, secretNames)) continue;
      secrets.push(value, ...value.split(/[\s,;=]+/).filter((w) => !AUTH_SCHEME.test(w)));
    }
    try {
      const u = new URL(url);
      for (const part of [u.username, u.password]) {
        if (part) secrets.push(part, decodeURIComponent(part));
      }
      for (const [key, value] of u.searchParams) {
        if (SECRET_PARAM.test(key)) secrets.push(value, encodeURIComponent(value));
      }
      const fragment = u.hash.slice(1);
      if (fragment) {
        secrets.push(fragment);
        for (const [, value] of new URLSearchParams(fragment)) {
          secrets.push(value, encodeURIComponent(value));
        }
      }
    } catch {
      // not a URL: nothing to collect
    }
    return new Redactor(secrets, secretNames);
  }

  /**
   * One redactor that masks what each of `redactors` masks (a targets file's
   * requests, each with its own secrets).
   *
   * @example
   * ```ts
   * import { Redactor } from "./redact.ts";
   * const r = Redactor.combine([new Redactor(["s3cr3t-a"]), new Redactor(["s3cr3t-b"])]);
   * r.text("s3cr3t-a s3cr3t-b"); // "[REDACTED] [REDACTED]"
   * ```
   */
  static combine(redactors: readonly Redactor[]): Redactor {
    const names = new Set<string>();
    for (const r of redactors) for (const n of r.#names) names.add(n);
    return new Redactor(redactors.flatMap((r) => r.#secrets), names);
  }

  /** Masks every known secret value in `text`. */
  text(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Header pairs with secret values masked. */
  headers(headers: readonly (readonly [string, string])[]): [string, string][] {
    return headers.map(([n, v]) => [n, isSecretHeader(n, this.#names) ? REDACTED : this.text(v)]);
  }

  /** A URL with its credentials masked. */
  url(url: string): string {
    return this.text(redactUrl(url));
  }
}
