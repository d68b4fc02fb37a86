/**
 * HPACK (RFC 7541) for the `fast-h2` client: a decoder with the dynamic
 * table and Huffman decoding, and a stateless encoder for request headers.
 *
 * The encoder never adds to the peer's dynamic table (it uses static-table
 * indexes and literals "without indexing"), so an encoded block carries no
 * connection state and can be computed once per distinct request and sent on
 * any connection, any number of times.
 *
 * The decoder keeps each connection's dynamic table in step with the
 * server's encoder. {@linkcode HpackDecoder.decodeStatus} is its hot path: it
 * walks a block, updates the table, and returns `:status` without building
 * strings for fields that are neither needed nor indexed. Servers send the
 * same block over and over (nginx re-sends `server`, `date`, `content-type`
 * and `content-length` as literals with indexing on every response), so a
 * block that refers to no dynamic entry is remembered with its effect (the
 * status, the entries it inserts): a repeat is recognised by its octets and
 * replayed without decoding a string.
 *
 * @module
 */
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./_hpack_huffman.ts";

/** One header field: lowercase name and value, as octet strings. */
export type HeaderField = [name: string, value: string];

/** The static table (RFC 7541, Appendix A); index 0 is unused. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  ["", ""],
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];
const STATIC_COUNT = STATIC_TABLE.length - 1;

/** Blocks remembered per decoder; nginx changes its block once a second (`date`). */
const BLOCK_CACHE_SIZE = 8;
/** Longer blocks are not remembered (comparing them would cost as much as decoding). */
const MAX_CACHED_BLOCK = 512;

/**
 * A header block that refers to no dynamic entry and updates no table size,
 * so its effect depends on its octets alone: the status it carries and the
 * entries it inserts, in order.
 */
interface CachedBlock {
  octets: Uint8Array;
  status: number;
  names: string[];
  values: string[];
}

/** The default and advertised header table size (SETTINGS_HEADER_TABLE_SIZE). */
export const DEFAULT_TABLE_SIZE = 4096;

/** Integers past this are refused: no legitimate length or index is that large. */
const MAX_INT = 2 ** 28;

function latin1(src: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(src[i]!);
    return s;
  }
  // In slices: apply() with very many arguments overflows the stack.
  let s = "";
  for (let at = start; at < end; at += 8192) {
    const slice = src.subarray(at, Math.min(end, at + 8192));
    s += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return s;
}

function corrupt(detail: string): SyntaxError {
  return new SyntaxError(`Cannot decode the header block: ${detail}`);
}

/**
 * An HPACK decoder for one connection's responses.
 *
 * @example
 * ```ts
 * import { HpackDecoder } from "./_hpack.ts";
 * const decoder = new HpackDecoder();
 * decoder.decode(new Uint8Array([0x88])); // [[":status", "200"]]
 * ```
 */
export class HpackDecoder {
  /** Dynamic table as a ring, newest at `#head`. */
  #names: string[] = new Array(64).fill("");
  #values: string[] = new Array(64).fill("");
  #mask = 63;
  #head = 0;
  #count = 0;
  #size = 0;
  #maxSize: number;
  #limit: number;
  #maxListSize: number;
  // Reused per call.
  #pos = 0;
  #scratch = new Uint8Array(4096);
  #listSize = 0;
  // Blocks whose effect is known (see CachedBlock), and the recording of the current walk.
  #cache: CachedBlock[] = [];
  #cacheNext = 0;
  #lastHit: CachedBlock | null = null;
  #cacheable = false;
  #insertedNames: string[] = [];
  #insertedValues: string[] = [];

  /**
   * @param limit the table size we allow (what our SETTINGS_HEADER_TABLE_SIZE says).
   * @param maxListSize the largest decoded header list (RFC 9113 octet count) accepted.
   */
  constructor(limit: number = DEFAULT_TABLE_SIZE, maxListSize: number = 1 << 20) {
    this.#limit = limit;
    this.#maxSize = limit;
    this.#maxListSize = maxListSize;
  }

  /** The current dynamic table size in octets (entry sizes include 32 each). */
  get tableSize(): number {
    return this.#size;
  }

  /** The current maximum dynamic table size. */
  get maxTableSize(): number {
    return this.#maxSize;
  }

  /** The dynamic table, newest first, as [name, value, size] triples. */
  tableEntries(): [string, string, number][] {
    const out: [string, string, number][] = [];
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head - i) & this.#mask;
      const name = this.#names[slot]!;
      const value = this.#values[slot]!;
      out.push([name, value, name.length + value.length + 32]);
    }
    return out;
  }

  /**
   * Decodes a whole header block into its fields, in order.
   *
   * @throws {SyntaxError} when the block is malformed (a COMPRESSION_ERROR).
   * @throws {RangeError} when the header list is larger than allowed.
   */
  decode(block: Uint8Array, start = 0, end: number = block.length): HeaderField[] {
    const fields: HeaderField[] = [];
    this.#walk(block, start, end, fields);
    return fields;
  }

  /**
   * Decodes a header block for its `:status` only, keeping the dynamic table
   * in step. Returns the status, or 0 when the block has none or it is not a
   * three-digit number.
   *
   * @throws {SyntaxError} when the block is malformed (a COMPRESSION_ERROR).
   * @throws {RangeError} when the header list is larger than allowed.
   */
  decodeStatus(block: Uint8Array, start = 0, end: number = block.length): number {
    const length = end - start;
    if (length > MAX_CACHED_BLOCK) return this.#walk(block, start, end, null);
    const hit = this.#lookup(block, start, length);
    if (hit !== null) {
      // Its list size was checked when it was first decoded.
      for (let i = 0; i < hit.names.length; i++) this.#insert(hit.names[i]!, hit.values[i]!);
      return hit.status;
    }
    this.#cacheable = true;
    this.#insertedNames.length = 0;
    this.#insertedValues.length = 0;
    let status: number;
    try {
      status = this.#walk(block, start, end, null);
    } catch (err) {
      this.#cacheable = false;
      throw err;
    }
    if (this.#cacheable) {
      this.#cacheable = false;
      const entry: CachedBlock = {
        octets: block.slice(start, end),
        status,
        names: this.#insertedNames.slice(),
        values: this.#insertedValues.slice(),
      };
      if (this.#cache.length < BLOCK_CACHE_SIZE) this.#cache.push(entry);
      else this.#cache[this.#cacheNext] = entry;
      this.#cacheNext = (this.#cacheNext + 1) % BLOCK_CACHE_SIZE;
      this.#lastHit = entry;
    }
    return status;
  }

  /** A remembered block with these octets, the last one matched tried first. */
  #lookup(src: Uint8Array, start: number, length: number): CachedBlock | null {
    const last = this.#lastHit;
    if (last !== null && sameOctets(last.octets, src, start, length)) return last;
    for (const entry of this.#cache) {
      if (entry !== last && sameOctets(entry.octets, src, start, length)) {
        this.#lastHit = entry;
        return entry;
      }
    }
    return null;
  }

  #walk(src: Uint8Array, start: number, end: number, fields: HeaderField[] | null): number {
    this.#pos = start;
    this.#listSize = 0;
    let status = 0;
    let first = true;
    while (this.#pos < end) {
      const b = src[this.#pos]!;
      if (b & 0x80) {
        // Indexed header field.
        const index = this.#int(src, end, 7);
        if (index === 0) throw corrupt("index 0");
        if (index > STATIC_COUNT) this.#cacheable = false;
        const name = this.#nameAt(index);
        const value = this.#valueAt(index);
        this.#account(name.length + value.length);
        if (fields !== null) fields.push([name, value]);
        else if (name === ":status") status = parseStatus(value);
        first = false;
        continue;
      }
      if ((b & 0xe0) === 0x20) {
        // Dynamic table size update: only at the start of a block.
        if (!first) throw corrupt("table size update after a header field");
        this.#cacheable = false;
        const size = this.#int(src, end, 5);
        if (size > this.#limit) {
          throw corrupt(`table size update to ${size} exceeds the limit ${this.#limit}`);
        }
        this.#maxSize = size;
        this.#evict(0);
        continue;
      }
      first = false;
      const indexing = (b & 0xc0) === 0x40;
      // Literal: 6-bit index prefix with incremental indexing, 4-bit otherwise.
      const nameIndex = this.#int(src, end, indexing ? 6 : 4);
      if (nameIndex > STATIC_COUNT) this.#cacheable = false;
      const name = nameIndex === 0 ? this.#string(src, end, true)! : this.#nameAt(nameIndex);
      const want = indexing || fields !== null || name === ":status";
      const value = this.#string(src, end, want);
      this.#account(name.length + (value === null ? this.#skippedLength : value.length));
      if (value !== null) {
        if (fields !== null) fields.push([name, value]);
        else if (name === ":status") status = parseStatus(value);
        if (indexing) {
          this.#insert(name, value);
          if (this.#cacheable) {
            this.#insertedNames.push(name);
            this.#insertedValues.push(value);
          }
        }
      }
    }
    return status;
  }

  #account(octets: number): void {
    this.#listSize += octets + 32;
    if (this.#listSize > this.#maxListSize) {
      throw new RangeError(
        `Cannot decode the header block: header list exceeds ${this.#maxListSize} octets`,
      );
    }
  }

  #int(src: Uint8Array, end: number, prefix: number): number {
    const max = (1 << prefix) - 1;
    let value = src[this.#pos++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.#pos >= end) throw corrupt("truncated integer");
      const b = src[this.#pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw corrupt("integer too large");
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  }

  /** Octet length of the last string skipped by {@linkcode #string}. */
  #skippedLength = 0;

  /** Reads a string literal; returns null (and sets #skippedLength) when not wanted. */
  #string(src: Uint8Array, end: number, want: boolean): string | null {
    if (this.#pos >= end) throw corrupt("truncated string");
    const huffman = (src[this.#pos]! & 0x80) !== 0;
    const length = this.#int(src, end, 7);
    const from = this.#pos;
    const to = from + length;
    if (to > end) throw corrupt("string runs past the end of the block");
    this.#pos = to;
    if (!huffman) {
      if (!want) {
        this.#skippedLength = length;
        return null;
      }
      return latin1(src, from, to);
    }
    const room = Math.ceil(length * 8 / 5);
    if (this.#scratch.length < room) this.#scratch = new Uint8Array(room * 2);
    const n = huffmanDecode(src, from, to, this.#scratch);
    if (n < 0) throw corrupt("invalid Huffman code");
    if (!want) {
      this.#skippedLength = n;
      return null;
    }
    return latin1(this.#scratch, 0, n);
  }

  #nameAt(index: number): string {
    if (index <= STATIC_COUNT) return STATIC_TABLE[index]![0];
    const d = index - STATIC_COUNT;
    if (d > this.#count) throw corrupt(`index ${index} is past the end of the table`);
    return this.#names[(this.#head - d + 1) & this.#mask]!;
  }

  #valueAt(index: number): string {
    if (index <= STATIC_COUNT) return STATIC_TABLE[index]![1];
    return this.#values[(this.#head - (index - STATIC_COUNT) + 1) & this.#mask]!;
  }

  #insert(name: string, value: string): void {
    const size = name.length + value.length + 32;
    if (size > this.#maxSize) {
      // An entry larger than the table empties it and is not added (RFC 7541, 4.4).
      this.#count = 0;
      this.#size = 0;
      return;
    }
    this.#evict(size);
    if (this.#count > this.#mask) this.#grow();
    this.#head = (this.#head + 1) & this.#mask;
    this.#names[this.#head] = name;
    this.#values[this.#head] = value;
    this.#count++;
    this.#size += size;
  }

  /** Evicts oldest entries until `room` more octets fit. */
  #evict(room: number): void {
    while (this.#count > 0 && this.#size + room > this.#maxSize) {
      const slot = (this.#head - this.#count + 1) & this.#mask;
      this.#size -= this.#names[slot]!.length + this.#values[slot]!.length + 32;
      this.#names[slot] = "";
      this.#values[slot] = "";
      this.#count--;
    }
  }

  #grow(): void {
    const cap = (this.#mask + 1) * 2;
    const names: string[] = new Array(cap).fill("");
    const values: string[] = new Array(cap).fill("");
    // Re-lay oldest..newest at 0..count-1.
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head - this.#count + 1 + i) & this.#mask;
      names[i] = this.#names[slot]!;
      values[i] = this.#values[slot]!;
    }
    this.#names = names;
    this.#values = values;
    this.#mask = cap - 1;
    this.#head = this.#count - 1;
  }
}

function sameOctets(a: Uint8Array, src: Uint8Array, start: number, length: number): boolean {
  if (a.length !== length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== src[start + i]) return false;
  return true;
}

function parseStatus(value: string): number {
  if (value.length !== 3) return 0;
  const n = Number(value);
  return Number.isInteger(n) && n >= 100 && n <= 999 ? n : 0;
}

/** Options for {@linkcode encodeHeaderBlock}. */
export interface EncodeOptions {
  /** Huffman-code strings: always, never, or when shorter (the default). */
  huffman?: "always" | "never" | "auto";
}

function octets(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) {
      throw new TypeError(`Cannot encode the header block: ${what} is not a byte string`);
    }
    out[i] = c;
  }
  return out;
}

/** Appends an HPACK integer with an N-bit prefix (its high bits are `flags`). */
function pushInt(out: number[], flags: number, prefix: number, value: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function pushString(out: number[], s: Uint8Array, huffman: "always" | "never" | "auto"): void {
  const hlen = huffman === "never" ? Infinity : huffmanEncodedLength(s);
  if (huffman === "always" || hlen < s.length) {
    pushInt(out, 0x80, 7, hlen);
    const buf = new Uint8Array(hlen);
    huffmanEncode(s, buf, 0);
    for (const b of buf) out.push(b);
    return;
  }
  pushInt(out, 0, 7, s.length);
  for (const b of s) out.push(b);
}

/**
 * Encodes header fields (names lowercase, pseudo-headers first) as an HPACK
 * block that touches no dynamic table: a field equal to a static entry is
 * indexed, any other is a literal without indexing, naming a static entry
 * when one has that name.
 *
 * @throws {TypeError} when a name or value holds a character above U+00FF.
 *
 * @example
 * ```ts
 * import { encodeHeaderBlock } from "./_hpack.ts";
 * encodeHeaderBlock([[":method", "GET"], [":path", "/"]]); // Uint8Array [0x82, 0x84]
 * ```
 */
export function encodeHeaderBlock(
  fields: readonly (readonly [string, string])[],
  options: EncodeOptions = {},
): Uint8Array<ArrayBuffer> {
  const huffman = options.huffman ?? "auto";
  const out: number[] = [];
  for (const [name, value] of fields) {
    let exact = 0;
    let named = 0;
    for (let i = 1; i <= STATIC_COUNT; i++) {
      const entry = STATIC_TABLE[i]!;
      if (entry[0] !== name) continue;
      if (named === 0) named = i;
      if (entry[1] === value) {
        exact = i;
        break;
      }
    }
    if (exact !== 0) {
      pushInt(out, 0x80, 7, exact);
      continue;
    }
    pushInt(out, 0x00, 4, named);
    if (named === 0) pushString(out, octets(name, `header name ${JSON.stringify(name)}`), huffman);
    pushString(out, octets(value, `the value of ${name}`), huffman);
  }
  return Uint8Array.from(out);
}
