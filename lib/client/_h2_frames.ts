/**
 * HTTP/2 framing (RFC 9113, section 4 and 6) for the `fast-h2` client:
 * frame types, flags, settings and error codes, encoders for the frames a
 * client sends, and {@linkcode FrameReader}, which splits a byte stream into
 * frames inside one reused buffer.
 *
 * @module
 */

/** The client connection preface (RFC 9113, 3.4). */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Octets in a frame header. */
export const FRAME_HEADER_LENGTH = 9;

/** Frame types. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** SETTINGS parameter identifiers. */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** Error codes (RFC 9113, section 7). */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const ERROR_NAMES = Object.fromEntries(
  Object.entries(ErrorCode).map(([name, code]) => [code, name]),
) as Record<number, string>;

/**
 * The name of an HTTP/2 error code, or its hex value when unknown.
 *
 * @example
 * ```ts
 * import { errorCodeName } from "./_h2_frames.ts";
 * errorCodeName(0x7); // "REFUSED_STREAM"
 * ```
 */
export function errorCodeName(code: number): string {
  return ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

/** Largest flow-control window (RFC 9113, 6.9.1). */
export const MAX_WINDOW = 2 ** 31 - 1;
/** Default SETTINGS_INITIAL_WINDOW_SIZE and connection window. */
export const DEFAULT_WINDOW = 65_535;
/** Default and minimum SETTINGS_MAX_FRAME_SIZE. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** Largest allowed SETTINGS_MAX_FRAME_SIZE. */
export const MAX_FRAME_SIZE_LIMIT = 2 ** 24 - 1;

/**
 * Writes a frame header into `out` at `offset`.
 *
 * @example
 * ```ts
 * import { FrameType, writeFrameHeader } from "./_h2_frames.ts";
 * const out = new Uint8Array(9);
 * writeFrameHeader(out, 0, 0, FrameType.SETTINGS, 0, 0);
 * ```
 */
export function writeFrameHeader(
  out: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out[offset] = length >>> 16;
  out[offset + 1] = (length >>> 8) & 0xff;
  out[offset + 2] = length & 0xff;
  out[offset + 3] = type;
  out[offset + 4] = flags;
  out[offset + 5] = (streamId >>> 24) & 0x7f;
  out[offset + 6] = (streamId >>> 16) & 0xff;
  out[offset + 7] = (streamId >>> 8) & 0xff;
  out[offset + 8] = streamId & 0xff;
}

function u32(src: Uint8Array, at: number): number {
  return ((src[at]! << 24) | (src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!) >>> 0;
}

function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/**
 * A whole SETTINGS frame (or an ACK when `ack` is set; then it is empty).
 *
 * @example
 * ```ts
 * import { encodeSettings, Setting } from "./_h2_frames.ts";
 * encodeSettings([[Setting.ENABLE_PUSH, 0]]).length; // 15
 * ```
 */
export function encodeSettings(
  settings: readonly (readonly [number, number])[],
  ack = false,
): Uint8Array<ArrayBuffer> {
  const length = ack ? 0 : settings.length * 6;
  const out = new Uint8Array(FRAME_HEADER_LENGTH + length);
  writeFrameHeader(out, 0, length, FrameType.SETTINGS, ack ? Flag.ACK : 0, 0);
  if (ack) return out;
  let at = FRAME_HEADER_LENGTH;
  for (const [id, value] of settings) {
    out[at] = id >>> 8;
    out[at + 1] = id & 0xff;
    putU32(out, at + 2, value);
    at += 6;
  }
  return out;
}

/** Why a peer's frame broke the protocol: an HTTP/2 error code and a sentence. */
export class H2ProtocolError extends Error {
  /** The HTTP/2 error code to put in GOAWAY. */
  readonly code: number;

  /**
   * @example
   * ```ts
   * import { ErrorCode, H2ProtocolError } from "./_h2_frames.ts";
   * new H2ProtocolError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length 5 is not a multiple of 6");
   * ```
   */
  constructor(code: number, message: string) {
    super(`HTTP/2 ${errorCodeName(code)}: ${message}`);
    this.name = "H2ProtocolError";
    this.code = code;
  }
}

/**
 * Parses and validates a SETTINGS payload into [id, value] pairs, in order.
 * Unknown identifiers are kept (the caller ignores them, as RFC 9113 says).
 *
 * @throws {H2ProtocolError} on a bad length or an out-of-range value.
 *
 * @example
 * ```ts
 * import { parseSettings } from "./_h2_frames.ts";
 * parseSettings(new Uint8Array([0, 3, 0, 0, 0, 100]), 0, 6); // [[3, 100]]
 * ```
 */
export function parseSettings(src: Uint8Array, start: number, end: number): [number, number][] {
  const length = end - start;
  if (length % 6 !== 0) {
    throw new H2ProtocolError(
      ErrorCode.FRAME_SIZE_ERROR,
      `SETTINGS length ${length} is not a multiple of 6`,
    );
  }
  const out: [number, number][] = [];
  for (let at = start; at < end; at += 6) {
    const id = (src[at]! << 8) | src[at + 1]!;
    const value = u32(src, at + 2);
    if (id === Setting.ENABLE_PUSH && value > 1) {
      throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, `ENABLE_PUSH is ${value}`);
    }
    if (id === Setting.INITIAL_WINDOW_SIZE && value > MAX_WINDOW) {
      throw new H2ProtocolError(
        ErrorCode.FLOW_CONTROL_ERROR,
        `INITIAL_WINDOW_SIZE ${value} exceeds ${MAX_WINDOW}`,
      );
    }
    if (
      id === Setting.MAX_FRAME_SIZE &&
      (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_FRAME_SIZE_LIMIT)
    ) {
      throw new H2ProtocolError(
        ErrorCode.PROTOCOL_ERROR,
        `MAX_FRAME_SIZE ${value} is out of range`,
      );
    }
    out.push([id, value]);
  }
  return out;
}

/**
 * A WINDOW_UPDATE frame.
 *
 * @example
 * ```ts
 * import { encodeWindowUpdate } from "./_h2_frames.ts";
 * encodeWindowUpdate(0, 1 << 20).length; // 13
 * ```
 */
export function encodeWindowUpdate(streamId: number, increment: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(13);
  writeWindowUpdate(out, 0, streamId, increment);
  return out;
}

/** Writes a 13-octet WINDOW_UPDATE frame into `out` at `offset`. */
export function writeWindowUpdate(
  out: Uint8Array,
  offset: number,
  streamId: number,
  increment: number,
): void {
  if (increment < 1 || increment > MAX_WINDOW) {
    throw new RangeError(`Cannot encode WINDOW_UPDATE: increment ${increment} is out of range`);
  }
  writeFrameHeader(out, offset, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  putU32(out, offset + 9, increment);
}

/**
 * Reads a WINDOW_UPDATE payload's increment (the reserved bit cleared).
 *
 * @throws {H2ProtocolError} when the payload is not 4 octets.
 */
export function parseWindowUpdate(src: Uint8Array, start: number, end: number): number {
  if (end - start !== 4) {
    throw new H2ProtocolError(
      ErrorCode.FRAME_SIZE_ERROR,
      `WINDOW_UPDATE length ${end - start} is not 4`,
    );
  }
  return u32(src, start) & 0x7fffffff;
}

/**
 * A PING frame carrying 8 opaque octets from `src[start..start+8)`.
 *
 * @example
 * ```ts
 * import { encodePing } from "./_h2_frames.ts";
 * encodePing(new Uint8Array(8), 0, true)[4]; // 1 (ACK)
 * ```
 */
export function encodePing(src: Uint8Array, start: number, ack: boolean): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(17);
  writeFrameHeader(out, 0, 8, FrameType.PING, ack ? Flag.ACK : 0, 0);
  out.set(src.subarray(start, start + 8), 9);
  return out;
}

/**
 * An RST_STREAM frame.
 *
 * @example
 * ```ts
 * import { encodeRstStream, ErrorCode } from "./_h2_frames.ts";
 * encodeRstStream(1, ErrorCode.CANCEL).length; // 13
 * ```
 */
export function encodeRstStream(streamId: number, code: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(13);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  putU32(out, 9, code);
  return out;
}

/**
 * A GOAWAY frame with no debug data.
 *
 * @example
 * ```ts
 * import { encodeGoaway, ErrorCode } from "./_h2_frames.ts";
 * encodeGoaway(0, ErrorCode.NO_ERROR).length; // 17
 * ```
 */
export function encodeGoaway(lastStreamId: number, code: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(17);
  writeFrameHeader(out, 0, 8, FrameType.GOAWAY, 0, 0);
  putU32(out, 9, lastStreamId & 0x7fffffff);
  putU32(out, 13, code);
  return out;
}

/**
 * Reads a GOAWAY payload.
 *
 * @throws {H2ProtocolError} when the payload is shorter than 8 octets.
 */
export function parseGoaway(
  src: Uint8Array,
  start: number,
  end: number,
): { lastStreamId: number; errorCode: number } {
  if (end - start < 8) {
    throw new H2ProtocolError(ErrorCode.FRAME_SIZE_ERROR, `GOAWAY length ${end - start} is short`);
  }
  return { lastStreamId: u32(src, start) & 0x7fffffff, errorCode: u32(src, start + 4) };
}

/**
 * Reads an RST_STREAM payload's error code.
 *
 * @throws {H2ProtocolError} when the payload is not 4 octets.
 */
export function parseRstStream(src: Uint8Array, start: number, end: number): number {
  if (end - start !== 4) {
    throw new H2ProtocolError(
      ErrorCode.FRAME_SIZE_ERROR,
      `RST_STREAM length ${end - start} is not 4`,
    );
  }
  return u32(src, start);
}

/**
 * Splits a received byte stream into frames, in one buffer that is reused:
 * read into {@linkcode FrameReader.space}, {@linkcode FrameReader.commit}
 * the count, then call {@linkcode FrameReader.next} until it returns false;
 * after each `true`, the frame's fields and payload (`buffer[payloadStart..
 * payloadEnd)`) are valid until the next call.
 *
 * @example
 * ```ts
 * import { FrameReader, encodeSettings } from "./_h2_frames.ts";
 * const reader = new FrameReader(16_384);
 * const frame = encodeSettings([[3, 100]]);
 * reader.space().set(frame);
 * reader.commit(frame.length);
 * reader.next(); // true: reader.type === 4, reader.length === 6
 * ```
 */
export class FrameReader {
  /** The buffer frames are parsed from. */
  buffer: Uint8Array;
  /** Type of the current frame. */
  type = 0;
  /** Flags of the current frame. */
  flags = 0;
  /** Stream identifier of the current frame (reserved bit cleared). */
  streamId = 0;
  /** Payload length of the current frame. */
  length = 0;
  /** Start of the current payload in {@linkcode FrameReader.buffer}. */
  payloadStart = 0;
  /** End of the current payload in {@linkcode FrameReader.buffer}. */
  payloadEnd = 0;
  #maxFrameSize: number;
  #start = 0;
  #end = 0;
  /** The whole buffer as a view, handed out by space() when it is empty (no view per read). */
  #whole: Uint8Array;

  /** @param maxFrameSize the largest payload accepted (our SETTINGS_MAX_FRAME_SIZE). */
  constructor(maxFrameSize: number, bufferSize: number = 4 * (maxFrameSize + 9)) {
    this.#maxFrameSize = maxFrameSize;
    this.buffer = new Uint8Array(Math.max(bufferSize, maxFrameSize + FRAME_HEADER_LENGTH));
    this.#whole = this.buffer;
  }

  /** The free part of the buffer to read into (compacting it first if needed). */
  space(): Uint8Array {
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      return this.#whole;
    } else if (this.buffer.length - this.#end < 4096 + FRAME_HEADER_LENGTH) {
      this.buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    return this.buffer.subarray(this.#end);
  }

  /** Records that `n` octets were written at the start of {@linkcode FrameReader.space}. */
  commit(n: number): void {
    this.#end += n;
  }

  /** Octets buffered but not yet returned as frames. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /**
   * Moves to the next complete frame; false when more bytes are needed.
   *
   * @throws {H2ProtocolError} when a frame is larger than allowed.
   */
  next(): boolean {
    const available = this.#end - this.#start;
    if (available < FRAME_HEADER_LENGTH) return false;
    const b = this.buffer;
    const s = this.#start;
    const length = (b[s]! << 16) | (b[s + 1]! << 8) | b[s + 2]!;
    if (length > this.#maxFrameSize) {
      throw new H2ProtocolError(
        ErrorCode.FRAME_SIZE_ERROR,
        http1Reply(b, s, this.#end) ?? `frame length ${length} exceeds ${this.#maxFrameSize}`,
      );
    }
    if (available < FRAME_HEADER_LENGTH + length) return false;
    this.length = length;
    this.type = b[s + 3]!;
    this.flags = b[s + 4]!;
    this.streamId = ((b[s + 5]! & 0x7f) << 24) | (b[s + 6]! << 16) | (b[s + 7]! << 8) | b[s + 8]!;
    this.payloadStart = s + FRAME_HEADER_LENGTH;
    this.payloadEnd = this.payloadStart + length;
    this.#start = this.payloadEnd;
    return true;
  }
}

/**
 * When the bytes at `start` are text rather than frames (a server that does
 * not speak HTTP/2 answering the preface: an HTTP/1.x status line, or bare
 * HTML as Python's http.server sends), says so with its first line; else
 * `null`. "HTTP/1.1 4" read as a frame header is a length of 4740180.
 */
function http1Reply(b: Uint8Array, start: number, end: number): string | null {
  const bytes = b.subarray(start, Math.min(end, start + 64));
  for (const c of bytes) {
    if ((c < 0x20 || c > 0x7e) && c !== 0x0d && c !== 0x0a && c !== 0x09) return null;
  }
  const head = String.fromCharCode(...bytes);
  const line = head.split(/[\r\n]/)[0]!;
  const what = head.startsWith("HTTP/1.") ? "in HTTP/1.x" : "with text";
  return `the server replied ${what} ("${line}"), not HTTP/2: it does not speak HTTP/2 with prior knowledge (h2c)`;
}

/**
 * The bounds of a DATA or HEADERS payload without its padding and (for
 * HEADERS) priority fields, as `[start, end]`.
 *
 * @throws {H2ProtocolError} when the padding is longer than the payload.
 *
 * @example
 * ```ts
 * import { Flag, FrameType, unpadded } from "./_h2_frames.ts";
 * unpadded(new Uint8Array([2, 7, 0, 0]), 0, 4, FrameType.DATA, Flag.PADDED); // [1, 2]
 * ```
 */
export function unpadded(
  src: Uint8Array,
  start: number,
  end: number,
  type: number,
  flags: number,
): [number, number] {
  let from = start;
  let pad = 0;
  if (flags & Flag.PADDED) {
    if (end - start < 1) throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "empty padded frame");
    pad = src[from++]!;
  }
  if (type === FrameType.HEADERS && flags & Flag.PRIORITY) from += 5;
  if (from + pad > end) {
    throw new H2ProtocolError(ErrorCode.PROTOCOL_ERROR, "padding exceeds the frame payload");
  }
  return [from, end - pad];
}
