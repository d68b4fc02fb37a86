/**
 * Pure byte-level helpers of the protocol probe (`probe.ts`): the HTTP/2
 * client preface, and the recognition of a server's first bytes as an
 * HTTP/2 SETTINGS frame or an HTTP/1.x status line. No I/O here.
 *
 * @module
 */

/** What the first bytes of a reply say. */
export type Recognition = "yes" | "no" | "more";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADER = 9;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const FLAG_ACK = 0x1;
/** The largest frame payload a peer may send before SETTINGS changes it (RFC 9113 §4.2). */
const DEFAULT_MAX_FRAME = 16_384;

/**
 * The bytes a client sends to start HTTP/2 with prior knowledge: the
 * connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
 *
 * @example
 * ```ts
 * import { h2cPreface } from "./_probe_frames.ts";
 * h2cPreface().length; // 24 + 9
 * ```
 */
export function h2cPreface(): Uint8Array {
  const text = new TextEncoder().encode(PREFACE);
  const out = new Uint8Array(text.length + FRAME_HEADER);
  out.set(text);
  out[text.length + 3] = SETTINGS; // length 0, type SETTINGS, flags 0, stream 0
  return out;
}

/**
 * An HTTP/2 GOAWAY frame with NO_ERROR and last stream 0: a polite goodbye
 * after the probe, so the server does not log a broken connection.
 *
 * @example
 * ```ts
 * import { h2Goaway } from "./_probe_frames.ts";
 * h2Goaway()[3]; // 7 (GOAWAY)
 * ```
 */
export function h2Goaway(): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + 8);
  out[2] = 8; // payload length
  out[3] = GOAWAY;
  return out;
}

/**
 * Whether a server's first bytes after the HTTP/2 preface are its SETTINGS
 * frame (a server speaking HTTP/2 must send SETTINGS first, on stream 0,
 * without ACK, with a payload that is a multiple of 6 bytes). `"more"`
 * means fewer than 9 bytes arrived and they do not already rule it out.
 *
 * @example
 * ```ts
 * import { isH2Settings } from "./_probe_frames.ts";
 * isH2Settings(new Uint8Array([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100])); // "yes"
 * isH2Settings(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n")); // "no"
 * ```
 */
export function isH2Settings(bytes: Uint8Array): Recognition {
  if (bytes.length === 0) return "more";
  // An HTTP/1.x reply starts with "H"; a SETTINGS frame of < 16 KiB starts with 0.
  if (bytes[0] !== 0) return "no";
  if (bytes.length < FRAME_HEADER) {
    // Type is byte 3; flags byte 4; stream id bytes 5..8 must be 0.
    if (bytes.length > 3 && bytes[3] !== SETTINGS) return "no";
    if (bytes.length > 4 && (bytes[4]! & FLAG_ACK) !== 0) return "no";
    for (let i = 5; i < bytes.length; i++) if (bytes[i] !== 0) return "no";
    return "more";
  }
  const length = (bytes[0]! << 16) | (bytes[1]! << 8) | bytes[2]!;
  const stream = ((bytes[5]! & 0x7f) << 24) | (bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!;
  if (bytes[3] !== SETTINGS || (bytes[4]! & FLAG_ACK) !== 0 || stream !== 0) return "no";
  if (length % 6 !== 0 || length > DEFAULT_MAX_FRAME) return "no";
  return "yes";
}

/**
 * Whether a server's first bytes are an HTTP/1.x status line (`HTTP/1.0` or
 * `HTTP/1.1` followed by a space): the server speaks HTTP/1.1, whatever the
 * status. `"more"` while the prefix still matches.
 *
 * @example
 * ```ts
 * import { isHttp1Status } from "./_probe_frames.ts";
 * isHttp1Status(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n")); // "yes"
 * isHttp1Status(new Uint8Array([0, 0, 8, 7])); // "no"
 * ```
 */
export function isHttp1Status(bytes: Uint8Array): Recognition {
  const want = "HTTP/1.";
  const n = Math.min(bytes.length, want.length + 2);
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (i < want.length) {
      if (c !== want.charCodeAt(i)) return "no";
    } else if (i === want.length) {
      if (c !== 0x30 && c !== 0x31) return "no"; // 0 or 1
    } else if (c !== 0x20) return "no";
  }
  return bytes.length >= want.length + 2 ? "yes" : "more";
}
