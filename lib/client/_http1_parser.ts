/**
 * An incremental HTTP/1.x response parser working on bytes: no strings for
 * the common headers, no per-header objects, no copies unless the header
 * block is split across reads. It tells the `fast` client what it needs to
 * measure a response (status, when the headers ended, body byte count, when
 * the message ended, whether the connection can be reused) and rejects
 * malformed input with a reason instead of throwing.
 *
 * Strictness: obsolete line folding, a bad status line, a non-numeric or
 * conflicting `Content-Length`, a bad chunk size, a missing CRLF after a chunk
 * size or chunk data, `101 Switching Protocols` (never asked for), and a
 * header block over 64 KiB are errors. `Transfer-Encoding: chunked` wins over
 * `Content-Length` (as in RFC 9112 §6.3), and the connection is then not
 * reused. Interim `1xx` responses are skipped (counted in `informational`).
 *
 * Tolerance, where RFC 9112 and RFC 9110 allow it (what the fetch profiles
 * accept too):
 * - a bare LF ends the status line, a header line, the blank line after the
 *   headers and a trailer line (RFC 9112 §2.2: a recipient MAY recognize a
 *   single LF as a line terminator); a CR not followed by LF stays an error;
 * - `Content-Length: 2, 2`, a list of identical values, counts as one value
 *   (RFC 9110 §8.6); different values stay an error;
 * - a chunk size may have any number of leading zeros (`0005`): only its
 *   value is bounded (RFC 9112 §7.1's grammar is `1*HEXDIG`).
 *
 * @module
 */

const CR = 13;
const LF = 10;
const MAX_HEAD = 64 * 1024;
/** A chunk size at or above this is refused before its next digit: 16 times it is 2^53. */
const CHUNK_SIZE_LIMIT = 2 ** 49;

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_BODY_EOF = 2;
const S_CHUNK_SIZE = 3;
const S_CHUNK_EXT = 4;
const S_CHUNK_SIZE_LF = 5;
const S_CHUNK_DATA = 6;
const S_CHUNK_DATA_CR = 7;
const S_CHUNK_DATA_LF = 8;
const S_TRAILER_START = 9;
const S_TRAILER_LINE = 10;
const S_TRAILER_END_LF = 12;
const S_DONE = 13;
const S_ERROR = 14;

/** `#parseHead` results besides a position: the block was rejected, or is not all here yet. */
const FAILED = -1;
const INCOMPLETE = -2;

// Lower-case header names compared byte by byte (OR 0x20 folds ASCII letters; '-' is unchanged).
const NAME_CONTENT_LENGTH = bytes("content-length");
const NAME_TRANSFER_ENCODING = bytes("transfer-encoding");
const NAME_CONNECTION = bytes("connection");
const VALUE_CHUNKED = bytes("chunked");
const VALUE_CLOSE = bytes("close");
const VALUE_KEEP_ALIVE = bytes("keep-alive");

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function equalsLower(buf: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i]! | 0x20) !== lower[i]) return false;
  }
  return true;
}

/** RFC 9110 tchar: visible ASCII except delimiters `"(),/:;<=>?@[\]{}`; 1 = allowed. */
const TOKEN = new Uint8Array(256);
for (let c = 33; c < 127; c++) {
  TOKEN[c] = '"(),/:;<=>?@[\\]{}'.includes(String.fromCharCode(c)) ? 0 : 1;
}
/** Bytes allowed in a header value or reason phrase: HTAB, visible ASCII, obs-text; 1 = allowed. */
const FIELD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FIELD[c] = c === 9 || (c >= 32 && c !== 127) ? 1 : 0;

/** {@linkcode contentLengthList}'s answer for a list of different values. */
const CONFLICTING = -2;

/**
 * The value of a `Content-Length` field that is a comma-separated list of
 * one repeated number (RFC 9110 §8.6: "42, 42" may be read as 42); -1 when
 * it is not a list of numbers, {@linkcode CONFLICTING} when they differ.
 */
function contentLengthList(buf: Uint8Array, from: number, to: number): number {
  let value = -1;
  let i = from;
  while (i <= to) {
    let n = 0;
    let digits = 0;
    while (i < to && (buf[i] === 32 || buf[i] === 9)) i++;
    for (; i < to; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) break;
      if (++digits > 15) return -1;
      n = n * 10 + d;
    }
    while (i < to && (buf[i] === 32 || buf[i] === 9)) i++;
    if (i < to && buf[i] !== 44) return -1;
    if (digits > 0) {
      if (value >= 0 && value !== n) return CONFLICTING;
      value = n;
    }
    i++;
  }
  return value;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Parses one HTTP/1.x response at a time from a byte stream split anywhere.
 * Call {@linkcode Http1ResponseParser.start} before each response, feed
 * bytes with {@linkcode Http1ResponseParser.push}, and call
 * {@linkcode Http1ResponseParser.finish} at end of stream.
 */
export class Http1ResponseParser {
  /** Status of the final (non-1xx) response; 0 until its headers are parsed. */
  status = 0;
  /** HTTP minor version of the final response (0 or 1). */
  minorVersion = 1;
  /** Whether the final response's headers have been parsed. */
  headersComplete = false;
  /** Whether the whole message (headers, body, trailers) has been parsed. */
  complete = false;
  /** Why the input was rejected, or `null`. Once set, the parser consumes nothing more. */
  error: string | null = null;
  /** Whether the connection may carry another request after this response. */
  keepAlive = true;
  /** Body bytes (after chunked decoding) seen so far. */
  bodyBytes = 0;
  /** Interim 1xx responses skipped before the final one. */
  informational = 0;
  /** Optional sink for body bytes (tests); `null` in the hot path. */
  onBody: ((buf: Uint8Array, start: number, end: number) => void) | null = null;

  #state = S_HEAD;
  #noBody = false;
  #remaining = 0;
  #chunkDigits = 0;
  #head = new Uint8Array(0);
  #headLen = 0;

  /**
   * Resets for the next response. `noBody` is true for the response to a
   * HEAD request (headers only, whatever they say).
   */
  start(noBody: boolean): void {
    this.status = 0;
    this.minorVersion = 1;
    this.headersComplete = false;
    this.complete = false;
    this.error = null;
    this.keepAlive = true;
    this.bodyBytes = 0;
    this.informational = 0;
    this.#state = S_HEAD;
    this.#noBody = noBody;
    this.#remaining = 0;
    this.#headLen = 0;
  }

  /**
   * Consumes bytes `buf[start..end)` and returns how many were used. It
   * stops early when the message completes (leftover bytes belong to no
   * request) or on an error (see {@linkcode Http1ResponseParser.error}).
   */
  push(buf: Uint8Array, start: number, end: number): number {
    return this.#run(buf, start, end) - start;
  }

  /** Parses from `start`; returns the absolute position where it stopped. */
  #run(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    while (p < end) {
      switch (this.#state) {
        case S_HEAD:
          p = this.#pushHead(buf, p, end);
          break;
        case S_BODY_LENGTH: {
          const n = Math.min(end - p, this.#remaining);
          this.#body(buf, p, p + n);
          p += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#done();
          break;
        }
        case S_BODY_EOF:
          this.#body(buf, p, end);
          p = end;
          break;
        case S_CHUNK_SIZE: {
          const c = buf[p]!;
          const h = hexValue(c);
          if (h >= 0) {
            // Leading zeros are legal and do not count: only the value is bounded.
            if (this.#remaining >= CHUNK_SIZE_LIMIT) return this.#fail(p, "chunk size too large");
            this.#chunkDigits++;
            this.#remaining = this.#remaining * 16 + h;
          } else if (this.#chunkDigits === 0) {
            return this.#fail(p, "invalid chunk size");
          } else if (c === CR) {
            this.#state = S_CHUNK_SIZE_LF;
          } else if (c === 59 || c === 32 || c === 9) { // ';' extension, or whitespace before it
            this.#state = S_CHUNK_EXT;
          } else {
            return this.#fail(p, "invalid chunk size");
          }
          p++;
          break;
        }
        case S_CHUNK_EXT: {
          const c = buf[p]!;
          if (c === CR) this.#state = S_CHUNK_SIZE_LF;
          else if (c === LF) return this.#fail(p, "bare LF in chunk extension");
          p++;
          break;
        }
        case S_CHUNK_SIZE_LF:
          if (buf[p] !== LF) return this.#fail(p, "expected LF after chunk size");
          p++;
          this.#state = this.#remaining === 0 ? S_TRAILER_START : S_CHUNK_DATA;
          break;
        case S_CHUNK_DATA: {
          const n = Math.min(end - p, this.#remaining);
          this.#body(buf, p, p + n);
          p += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = S_CHUNK_DATA_CR;
          break;
        }
        case S_CHUNK_DATA_CR:
          if (buf[p] !== CR) return this.#fail(p, "expected CRLF after chunk data");
          p++;
          this.#state = S_CHUNK_DATA_LF;
          break;
        case S_CHUNK_DATA_LF:
          if (buf[p] !== LF) return this.#fail(p, "expected CRLF after chunk data");
          p++;
          this.#state = S_CHUNK_SIZE;
          this.#chunkDigits = 0;
          this.#remaining = 0;
          break;
        case S_TRAILER_START:
          if (buf[p] === CR) {
            this.#state = S_TRAILER_END_LF;
          } else if (buf[p] === LF) {
            // A bare LF ends the trailers (RFC 9112 §2.2).
            this.#done();
            return p + 1;
          } else {
            this.#state = S_TRAILER_LINE;
          }
          p++;
          break;
        case S_TRAILER_LINE: {
          // Trailers are skipped; a response's length never depends on them.
          // A trailer line ends at its LF, with or without a CR before it (RFC 9112 §2.2).
          const lf = buf.indexOf(LF, p);
          if (lf < 0 || lf >= end) return end;
          p = lf + 1;
          this.#state = S_TRAILER_START;
          continue;
        }
        case S_TRAILER_END_LF:
          if (buf[p] !== LF) return this.#fail(p, "expected LF after trailers");
          p++;
          this.#done();
          return p;
        case S_DONE:
        case S_ERROR:
          return p;
      }
      if (this.#state === S_DONE || this.#state === S_ERROR) break;
    }
    return p;
  }

  /**
   * Signals end of stream. Returns true when that completes the message (a
   * body delimited by the connection close); otherwise sets
   * {@linkcode Http1ResponseParser.error} unless the message was complete.
   */
  finish(): boolean {
    if (this.#state === S_DONE) return true;
    if (this.#state === S_ERROR) return false;
    if (this.#state === S_BODY_EOF) {
      this.#done();
      return true;
    }
    this.error = this.#state === S_HEAD && this.#headLen === 0 && !this.headersComplete &&
        this.informational === 0
      ? "connection closed before a response"
      : "connection closed in the middle of a response";
    this.#state = S_ERROR;
    return false;
  }

  /** Whether nothing of the response has arrived yet. */
  get idle(): boolean {
    return this.#state === S_HEAD && this.#headLen === 0 && this.informational === 0;
  }

  #body(buf: Uint8Array, start: number, end: number): void {
    this.bodyBytes += end - start;
    if (this.onBody !== null && end > start) this.onBody(buf, start, end);
  }

  #done(): void {
    this.#state = S_DONE;
    this.complete = true;
  }

  #fail(_at: number, reason: string): number {
    this.error = reason;
    this.#state = S_ERROR;
    this.keepAlive = false;
    return _at;
  }

  /** Parses the header block in place when it is whole in this read; else accumulates it. */
  #pushHead(buf: Uint8Array, p: number, end: number): number {
    if (this.#headLen === 0) {
      // Fast path: one pass over the bytes of this read.
      const r = this.#parseHead(buf, p, end, false);
      if (r >= 0) return r;
      if (r === FAILED) return p;
      return this.#appendHead(buf, p, end, 0);
    }
    return this.#appendHead(buf, p, end, this.#headLen);
  }

  /** Slow path: accumulates a header block split across reads. */
  #appendHead(buf: Uint8Array, p: number, end: number, before: number): number {
    const take = Math.min(end - p, MAX_HEAD - before);
    if (this.#head.length < before + take) {
      const next = new Uint8Array(Math.min(MAX_HEAD, Math.max(1024, (before + take) * 2)));
      next.set(this.#head.subarray(0, before));
      this.#head = next;
    }
    const head = this.#head;
    head.set(buf.subarray(p, p + take), before);
    const total = before + take;
    let i = Math.max(0, before - 3);
    for (;;) {
      const lf = head.indexOf(LF, i);
      if (lf < 0 || lf >= total) break;
      // The blank line: an LF right after the last line's LF, with or without a CR between.
      const prev = lf >= 1 ? head[lf - 1] : -1;
      if (prev === LF || (prev === CR && lf >= 2 && head[lf - 2] === LF)) {
        const used = lf + 1 - before;
        this.#headLen = 0;
        return this.#parseHead(head, 0, lf + 1, true) >= 0 ? p + used : p;
      }
      i = lf + 1;
    }
    if (total >= MAX_HEAD) return this.#fail(p, "header block larger than 64 KiB");
    this.#headLen = total;
    return p + take;
  }

  /**
   * Parses a header block starting at `buf[start]`, in one pass: each line
   * is scanned once, byte by byte, with no search calls. Returns the position
   * after the block's blank line, `FAILED` (after recording why), or, when
   * the bytes end before the blank line and `whole` is false, `INCOMPLETE`.
   * `whole`: `buf[start..end)` is known to hold the whole block.
   */
  #parseHead(buf: Uint8Array, start: number, end: number, whole: boolean): number {
    // Status line: "HTTP/1.x SSS[ reason]\r\n". The shortest whole block has 14 bytes (bare LFs).
    if (end - start < 14) return whole ? this.#failHead(start, "invalid status line") : INCOMPLETE;
    if (
      buf[start] !== 72 || buf[start + 1] !== 84 || buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 || buf[start + 4] !== 47 || buf[start + 5] !== 49 ||
      buf[start + 6] !== 46 || buf[start + 8] !== 32
    ) {
      return this.#failHead(start, "invalid status line");
    }
    const minor = buf[start + 7]! - 48;
    const d0 = buf[start + 9]! - 48;
    const d1 = buf[start + 10]! - 48;
    const d2 = buf[start + 11]! - 48;
    if (
      (minor !== 0 && minor !== 1) || d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 ||
      (buf[start + 12] !== 32 && buf[start + 12] !== CR && buf[start + 12] !== LF)
    ) {
      return this.#failHead(start, "invalid status line");
    }
    const status = d0 * 100 + d1 * 10 + d2;
    // The reason phrase runs to the first byte a field may not hold, which must end the line:
    // CR LF, or a bare LF (RFC 9112 §2.2).
    let q = start + 12;
    while (q < end && FIELD[buf[q]!] === 1) q++;
    let p: number;
    if (q < end && buf[q] === LF) {
      p = q + 1;
    } else {
      if (q + 1 >= end) return whole ? this.#failHead(q, "invalid status line") : INCOMPLETE;
      if (buf[q] !== CR || buf[q + 1] !== LF) {
        return this.#failHead(q, "invalid character in status line");
      }
      p = q + 2;
    }

    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = minor === 0;
    // Header lines, up to the blank line.
    for (;;) {
      if (p >= end) return whole ? this.#failHead(p, "invalid header line") : INCOMPLETE;
      const first = buf[p]!;
      if (first === LF) {
        p++;
        break;
      }
      if (first === CR) {
        if (p + 1 >= end) return whole ? this.#failHead(p, "invalid header line") : INCOMPLETE;
        if (buf[p + 1] !== LF) return this.#failHead(p, "invalid header line");
        p += 2;
        break;
      }
      // Name up to ':'.
      let colon = p;
      while (colon < end && TOKEN[buf[colon]!] === 1) colon++;
      if (colon >= end) return whole ? this.#failHead(p, "invalid header line") : INCOMPLETE;
      if (colon === p || buf[colon] !== 58) {
        return this.#failHead(
          p,
          first === 32 || first === 9 ? "obsolete line folding" : "invalid header line",
        );
      }
      // The value runs to the first byte a field may not hold, which must end the line.
      q = colon + 1;
      while (q < end && FIELD[buf[q]!] === 1) q++;
      let next: number;
      if (q < end && buf[q] === LF) {
        next = q + 1;
      } else {
        if (q + 1 >= end) return whole ? this.#failHead(q, "invalid header line") : INCOMPLETE;
        if (buf[q] !== CR || buf[q + 1] !== LF) {
          return this.#failHead(q, "invalid character in header value");
        }
        next = q + 2;
      }
      let vs = colon + 1;
      let ve = q;
      while (vs < ve && (buf[vs] === 32 || buf[vs] === 9)) vs++;
      while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
      const nameLen = colon - p;
      if (nameLen === 14 && equalsLower(buf, p, colon, NAME_CONTENT_LENGTH)) {
        let n = 0;
        let i = vs;
        if (ve - vs <= 15) {
          for (; i < ve; i++) {
            const d = buf[i]! - 48;
            if (d < 0 || d > 9) break;
            n = n * 10 + d;
          }
        }
        if (i !== ve || vs === ve) {
          // Not one plain number: maybe a list of the same number ("2, 2").
          n = contentLengthList(buf, vs, ve);
          if (n === CONFLICTING) return this.#failHead(vs, "conflicting Content-Length headers");
          if (n < 0) return this.#failHead(vs, "invalid Content-Length");
        }
        if (contentLength >= 0 && contentLength !== n) {
          return this.#failHead(vs, "conflicting Content-Length headers");
        }
        contentLength = n;
      } else if (nameLen === 17 && equalsLower(buf, p, colon, NAME_TRANSFER_ENCODING)) {
        transferEncoding = true;
        // Chunked when the last coding is "chunked".
        let ts = vs;
        for (let i = ve - 1; i >= vs; i--) {
          if (buf[i] === 44) {
            ts = i + 1;
            break;
          }
        }
        while (ts < ve && (buf[ts] === 32 || buf[ts] === 9)) ts++;
        chunked = equalsLower(buf, ts, ve, VALUE_CHUNKED);
      } else if (nameLen === 10 && equalsLower(buf, p, colon, NAME_CONNECTION)) {
        if (equalsLower(buf, vs, ve, VALUE_KEEP_ALIVE)) {
          close = false;
        } else if (equalsLower(buf, vs, ve, VALUE_CLOSE)) {
          close = true;
        } else {
          // A token list: look for "close" / "keep-alive" among the tokens.
          let ts = vs;
          for (let i = vs; i <= ve; i++) {
            if (i === ve || buf[i] === 44) {
              let a = ts;
              let b = i;
              while (a < b && (buf[a] === 32 || buf[a] === 9)) a++;
              while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--;
              if (equalsLower(buf, a, b, VALUE_CLOSE)) close = true;
              else if (equalsLower(buf, a, b, VALUE_KEEP_ALIVE) && minor === 0) close = false;
              ts = i + 1;
            }
          }
        }
      }
      p = next;
    }

    if (status < 200) {
      if (status === 101) {
        return this.#failHead(start, "unexpected 101 Switching Protocols");
      }
      // Interim response: skip it and parse the next header block.
      this.informational++;
      return p;
    }

    this.status = status;
    this.minorVersion = minor;
    this.headersComplete = true;
    this.keepAlive = !close;
    if (this.#noBody || status === 204 || status === 304) {
      this.#done();
    } else if (transferEncoding) {
      if (chunked) {
        this.#state = S_CHUNK_SIZE;
        this.#chunkDigits = 0;
        this.#remaining = 0;
        // A message with both framings is suspect: do not reuse its connection.
        if (contentLength >= 0) this.keepAlive = false;
      } else {
        this.#state = S_BODY_EOF;
        this.keepAlive = false;
      }
    } else if (contentLength > 0) {
      this.#state = S_BODY_LENGTH;
      this.#remaining = contentLength;
    } else if (contentLength === 0) {
      this.#done();
    } else {
      this.#state = S_BODY_EOF;
      this.keepAlive = false;
    }
    return p;
  }

  /** Records a malformed header block; returns `FAILED`. */
  #failHead(at: number, reason: string): number {
    this.#fail(at, reason);
    return FAILED;
  }
}
