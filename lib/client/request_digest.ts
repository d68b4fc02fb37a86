/**
 * A client-side digest of what a request is: method, URL, headers (in
 * order, names lower-cased) and body bytes. Two runs that sent requests with
 * the same digest sent the same requests; against a server tailgate does not
 * control (no server-side digest, unlike the mock), this is the evidence
 * that an A/B compared like with like.
 *
 * Pass headers already redacted when the digest is written anywhere: the
 * digest of a secret is a guessable fingerprint of it.
 *
 * @module
 */
import type { HttpRequest } from "./types.ts";

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Hex SHA-256 of a request's method, URL, headers and body, framed so that
 * no two different requests give the same input.
 *
 * @example
 * ```ts
 * import { requestDigest } from "./request_digest.ts";
 * const d = await requestDigest({ url: "http://127.0.0.1:8080/", method: "GET", headers: [], body: null });
 * d.length; // 64
 * ```
 */
export async function requestDigest(request: HttpRequest): Promise<string> {
  const head = JSON.stringify([
    request.method.toUpperCase(),
    request.url,
    request.headers.map(([n, v]) => [n.toLowerCase(), v]),
    request.body?.byteLength ?? -1,
  ]);
  const headBytes = new TextEncoder().encode(head);
  const body = request.body ?? new Uint8Array(0);
  const all = new Uint8Array(headBytes.length + 1 + body.length);
  all.set(headBytes);
  all[headBytes.length] = 0;
  all.set(body, headBytes.length + 1);
  return hex(await crypto.subtle.digest("SHA-256", all));
}
