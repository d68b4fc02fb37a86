/**
 * Fault injection for the mock: which fault a request gets (pure, from one
 * uniform draw) and the responses that carry socket-level faults.
 *
 * On the wire, with `Deno.serve` (HTTP/1.1, h2c, HTTPS):
 * - `reset`: the body stream errors before its first byte. HTTP/2: the
 *   stream is reset before headers (fetch rejects). HTTP/1.1: Deno has
 *   already written the status line and headers, so the client sees headers
 *   and then a closed connection; only the raw transport closes before any byte.
 * - `cut`: `content-length` of the whole body, half of it, then the stream errors.
 * - `malformed`: impossible with `Deno.serve`; needs the raw HTTP/1.1 transport.
 * The raw transport (`_raw_http1.ts`) reads the {@linkcode wireFaults} mark
 * and acts on the socket itself.
 *
 * @module
 */
import type { MockConfig } from "./_options.ts";

/** The faults the mock can inject. */
export type FaultKind =
  | "error"
  | "unavailable"
  | "throttle"
  | "reset"
  | "cut"
  | "stall"
  | "slow_body"
  | "malformed";

/** Fault kinds in draw order, paired with their rate fields. */
export const FAULTS: readonly (readonly [FaultKind, keyof MockConfig])[] = [
  ["error", "errorRate"],
  ["unavailable", "unavailableRate"],
  ["throttle", "throttleRate"],
  ["reset", "resetRate"],
  ["cut", "cutRate"],
  ["stall", "stallRate"],
  ["slow_body", "slowBodyRate"],
  ["malformed", "malformedRate"],
];

/**
 * Picks the fault for a request from one uniform `u` in [0, 1): the rates
 * are laid end to end, so at most one fault applies and the share of each
 * equals its rate.
 *
 * @example
 * ```ts
 * import { DEFAULT_MOCK_CONFIG } from "./_options.ts";
 * import { drawFault } from "./_faults.ts";
 * drawFault(0.05, { ...DEFAULT_MOCK_CONFIG, errorRate: 0.1 }); // "error"
 * drawFault(0.5, { ...DEFAULT_MOCK_CONFIG, errorRate: 0.1 }); // null
 * ```
 */
export function drawFault(u: number, config: MockConfig): FaultKind | null {
  let edge = 0;
  for (const [kind, key] of FAULTS) {
    edge += config[key];
    if (u < edge) return kind;
  }
  return null;
}

/** What a raw transport must do on the socket instead of writing the response normally. */
export interface WireFault {
  kind: "reset" | "cut" | "malformed";
  /** For `cut`: body bytes to write before closing. */
  cutAfterBytes?: number;
  /** For `malformed`: the exact bytes to write before closing. */
  bytes?: Uint8Array;
}

/** Responses the app marked with a socket-level fault. */
export const wireFaults: WeakMap<Response, WireFault> = new WeakMap();

/** The error a fault body stream fails with, so servers can tell it from real failures. */
export class InjectedFault extends Error {
  constructor(kind: FaultKind) {
    super(`Injected fault: ${kind}`);
    this.name = "InjectedFault";
  }
}

const encoder = new TextEncoder();

/** Malformed HTTP/1.1 responses, each rejected by a conforming client parser. */
export const MALFORMED_RESPONSES: readonly Uint8Array[] = [
  "HTTP/1.1 2x0 OK\r\ncontent-length: 2\r\n\r\nok", // status code is not three digits
  "HTTQ/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", // not an HTTP version
  "HTTP/1.1 200 OK\r\ncontent-length: two\r\n\r\nok", // content-length is not a number
  "HTTP/1.1 200 OK\r\nbad header line\r\ncontent-length: 2\r\n\r\nok", // header without a colon
].map((s) => encoder.encode(s));

function erroring(kind: FaultKind): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      controller.error(new InjectedFault(kind));
    },
  });
}

/** A response that fails before its first body byte (see the module doc for what the client sees). */
export function resetResponse(): Response {
  const res = new Response(erroring("reset"), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
  wireFaults.set(res, { kind: "reset" });
  return res;
}

/** A response that declares the whole `body`, sends half of it and fails. */
export function cutResponse(body: Uint8Array<ArrayBuffer>, headers: HeadersInit): Response {
  const half = Math.floor(body.byteLength / 2);
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(body.subarray(0, half));
      } else {
        controller.error(new InjectedFault("cut"));
      }
    },
  });
  const h = new Headers(headers);
  h.set("content-length", String(body.byteLength));
  const res = new Response(stream, { status: 200, headers: h });
  wireFaults.set(res, { kind: "cut", cutAfterBytes: half });
  return res;
}

/**
 * A response whose body trickles out in `pieces` chunks over `totalMs`.
 * Cancelling the body (the client left) ends the waits at once.
 */
export function slowBodyResponse(
  body: Uint8Array<ArrayBuffer>,
  headers: HeadersInit,
  totalMs: number,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  signal: AbortSignal | undefined,
  pieces = 8,
): Response {
  const cancelled = new AbortController();
  const stop = signal ? AbortSignal.any([signal, cancelled.signal]) : cancelled.signal;
  const size = Math.ceil(body.byteLength / pieces);
  let at = 0;
  let first = true;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // The first piece goes out with the headers; the rest are spaced over totalMs.
      if (!first) await sleep(totalMs / (pieces - 1 || 1), stop);
      first = false;
      if (at >= body.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(body.subarray(at, at + size));
      at += size;
      if (at >= body.byteLength) controller.close();
    },
    cancel() {
      cancelled.abort();
    },
  });
  const h = new Headers(headers);
  h.set("content-length", String(body.byteLength));
  return new Response(stream, { status: 200, headers: h });
}

/**
 * A response the raw transport replaces with malformed bytes. Served by
 * `Deno.serve` it fails like {@linkcode resetResponse}, because `Deno.serve`
 * cannot write malformed HTTP; `serveMock` refuses the combination.
 */
export function malformedResponse(variant: number): Response {
  const bytes = MALFORMED_RESPONSES[variant % MALFORMED_RESPONSES.length]!;
  const res = new Response(erroring("malformed"), { status: 200 });
  wireFaults.set(res, { kind: "malformed", bytes });
  return res;
}
