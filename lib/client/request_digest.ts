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
import type { Client, HttpRequest } from "./types.ts";

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

const MOD = 1n << 256n;

/**
 * Counts and digests every request a client was asked to send: the sum,
 * modulo 2^256, of each request's {@linkcode requestDigest} (the same
 * order-free sum the mock keeps server-side), so two runs of the same
 * requests in any order give the same tally. Digests are cached per request
 * object, so a run that reuses one request hashes it once.
 */
export class RequestTally {
  #count = 0;
  #bytes = 0;
  #sum = 0n;
  #cache = new WeakMap<HttpRequest, Promise<bigint>>();
  #pending = new Set<Promise<void>>();

  /** Adds one request (its digest is computed in the background). */
  add(request: HttpRequest): void {
    this.#count++;
    this.#bytes += request.body?.byteLength ?? 0;
    let d = this.#cache.get(request);
    if (d === undefined) {
      d = requestDigest(request).then((h) => BigInt(`0x${h}`));
      this.#cache.set(request, d);
    }
    const p = d.then((v) => {
      this.#sum = (this.#sum + v) % MOD;
    });
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p));
  }

  /** The count, body bytes and hex sum, once every pending digest is in. */
  async result(): Promise<{ count: number; bytes: number; sha256_sum: string }> {
    await Promise.all([...this.#pending]);
    return {
      count: this.#count,
      bytes: this.#bytes,
      sha256_sum: this.#sum.toString(16).padStart(64, "0"),
    };
  }
}

/**
 * Wraps a client so that every request it sends is added to `tally`.
 *
 * @example
 * ```ts ignore
 * import { RequestTally, tallied } from "./request_digest.ts";
 * const tally = new RequestTally();
 * const client = tallied(createClient("fast", { concurrency: 10, timeoutMs: 10_000 }), tally);
 * ```
 */
export function tallied(client: Client, tally: RequestTally): Client {
  return {
    name: client.name,
    send(request) {
      tally.add(request);
      return client.send(request);
    },
    close: () => client.close(),
  };
}
