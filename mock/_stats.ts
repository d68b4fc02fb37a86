/**
 * Per-run request counters and the order-independent request digest.
 *
 * @module
 */

/** The order-independent digest of the `/api` requests a run received. */
export interface RequestDigest {
  /** Requests hashed. */
  count: number;
  /** Body bytes hashed. */
  bytes: number;
  /**
   * Sum modulo 2^256 of SHA-256(`METHOD path?query` LF body) over the
   * requests, as 64 hex digits. A sum, not a XOR, so repeated identical
   * requests do not cancel; order-independent because arrivals reorder.
   */
  sha256_sum: string;
}

/** Request counters of one run. */
export interface RequestCounts {
  /** Requests received, control routes (`/stats`, `/admin/*`) excluded. */
  total: number;
  /** Keyed `METHOD /route`; unknown routes count as `other`. */
  by_route: Record<string, number>;
  /** Responses by status code (as decided by the app). */
  by_status: Record<string, number>;
}

import { type FaultKind, FAULTS } from "./_faults.ts";

const MOD = 1n << 256n;
const encoder = new TextEncoder();

/** SHA-256 of the request line and body, as a bigint. */
export async function hashRequest(
  method: string,
  pathAndQuery: string,
  body: Uint8Array,
): Promise<bigint> {
  const head = encoder.encode(`${method} ${pathAndQuery}\n`);
  const all = new Uint8Array(head.byteLength + body.byteLength);
  all.set(head, 0);
  all.set(body, head.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  let n = 0n;
  for (const b of digest) n = (n << 8n) | BigInt(b);
  return n;
}

/** How stalls ended: the client gave up, the cap passed (504), or the server closed. */
export interface StallEnds {
  client_gone: number;
  capped: number;
  server_closed: number;
}

/** Mutable counters for one run. */
export class RunCounters {
  total = 0;
  byRoute: Record<string, number> = {};
  byStatus: Record<string, number> = {};
  #digestCount = 0;
  #digestBytes = 0;
  #digestSum = 0n;
  #faults: Record<FaultKind, number> = Object.fromEntries(
    FAULTS.map(([kind]) => [kind, 0]),
  ) as Record<FaultKind, number>;
  #stalls: StallEnds = { client_gone: 0, capped: 0, server_closed: 0 };

  countFault(kind: FaultKind): void {
    this.#faults[kind]++;
  }

  countStallEnd(how: keyof StallEnds): void {
    this.#stalls[how]++;
  }

  faults(): Record<FaultKind, number> {
    return { ...this.#faults };
  }

  stalls(): StallEnds {
    return { ...this.#stalls };
  }

  countRoute(route: string): void {
    this.total++;
    this.byRoute[route] = (this.byRoute[route] ?? 0) + 1;
  }

  countStatus(status: number): void {
    const k = String(status);
    this.byStatus[k] = (this.byStatus[k] ?? 0) + 1;
  }

  addDigest(hash: bigint, bytes: number): void {
    this.#digestCount++;
    this.#digestBytes += bytes;
    this.#digestSum = (this.#digestSum + hash) % MOD;
  }

  requests(): RequestCounts {
    return { total: this.total, by_route: { ...this.byRoute }, by_status: { ...this.byStatus } };
  }

  digest(): RequestDigest {
    return {
      count: this.#digestCount,
      bytes: this.#digestBytes,
      sha256_sum: this.#digestSum.toString(16).padStart(64, "0"),
    };
  }
}
