/**
 * The mock with a server-wide stall switch (a GC pause, a lock, a failover):
 * while stalled, every request that would answer waits until the stall
 * ends. Built on `serveMock`'s injectable `sleep`, so it is the real mock
 * on a real socket, only with a pause button.
 */
import { type MockServer, serveMock, type ServeMockOptions } from "../mock/server.ts";

/** A mock server with a stall switch. */
export interface StallMock extends MockServer {
  /** Requests that reached the handler's wait so far. */
  readonly seen: number;
  /** Stalls every answer for `ms` from now (`Infinity`: until the server closes). */
  stall(ms: number): void;
  /** Calls `fn` once when the n-th request arrives. */
  onRequest(n: number, fn: () => void): void;
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(ms > 0) || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Serves the mock on 127.0.0.1:0 with a stall switch. */
export function serveStallMock(options: ServeMockOptions = {}): StallMock {
  let stallEnd = 0;
  let seen = 0;
  const triggers = new Map<number, () => void>();
  const sleep = async (ms: number, signal?: AbortSignal) => {
    seen++;
    triggers.get(seen)?.();
    await wait(ms, signal);
    while (!signal?.aborted && performance.now() < stallEnd) {
      await wait(stallEnd - performance.now(), signal);
    }
  };
  const server = serveMock({ ...options, port: 0, sleep });
  return {
    ...server,
    get seen() {
      return seen;
    },
    stall(ms: number) {
      stallEnd = ms === Infinity ? Infinity : performance.now() + ms;
    },
    onRequest(n: number, fn: () => void) {
      triggers.set(n, fn);
    },
  };
}

/** Mock settings for fast, quiet tests: ~3 ms per request, no slow path. */
export const FAST_MOCK: ServeMockOptions = {
  rttMs: 1,
  setupRtts: 0,
  serviceMedianMs: 2,
  serviceSigma: 0.1,
  slowRate: 0,
};
