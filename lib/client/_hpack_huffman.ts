/**
 * The HPACK Huffman code (RFC 7541, Appendix B), as two tables indexed by
 * symbol (0-255 are octets, 256 is EOS), plus a nibble-driven decoding
 * automaton built from them once at load time.
 *
 * @module
 */

/** Huffman code of each symbol, right-aligned (the last code bit is bit 0). */
export const HUFFMAN_CODES: Uint32Array = Uint32Array.from([
  0x1ff8,
  0x7fffd8,
  0xfffffe2,
  0xfffffe3,
  0xfffffe4,
  0xfffffe5,
  0xfffffe6,
  0xfffffe7,
  0xfffffe8,
  0xffffea,
  0x3ffffffc,
  0xfffffe9,
  0xfffffea,
  0x3ffffffd,
  0xfffffeb,
  0xfffffec,
  0xfffffed,
  0xfffffee,
  0xfffffef,
  0xffffff0,
  0xffffff1,
  0xffffff2,
  0x3ffffffe,
  0xffffff3,
  0xffffff4,
  0xffffff5,
  0xffffff6,
  0xffffff7,
  0xffffff8,
  0xffffff9,
  0xffffffa,
  0xffffffb,
  0x14,
  0x3f8,
  0x3f9,
  0xffa,
  0x1ff9,
  0x15,
  0xf8,
  0x7fa,
  0x3fa,
  0x3fb,
  0xf9,
  0x7fb,
  0xfa,
  0x16,
  0x17,
  0x18,
  0x0,
  0x1,
  0x2,
  0x19,
  0x1a,
  0x1b,
  0x1c,
  0x1d,
  0x1e,
  0x1f,
  0x5c,
  0xfb,
  0x7ffc,
  0x20,
  0xffb,
  0x3fc,
  0x1ffa,
  0x21,
  0x5d,
  0x5e,
  0x5f,
  0x60,
  0x61,
  0x62,
  0x63,
  0x64,
  0x65,
  0x66,
  0x67,
  0x68,
  0x69,
  0x6a,
  0x6b,
  0x6c,
  0x6d,
  0x6e,
  0x6f,
  0x70,
  0x71,
  0x72,
  0xfc,
  0x73,
  0xfd,
  0x1ffb,
  0x7fff0,
  0x1ffc,
  0x3ffc,
  0x22,
  0x7ffd,
  0x3,
  0x23,
  0x4,
  0x24,
  0x5,
  0x25,
  0x26,
  0x27,
  0x6,
  0x74,
  0x75,
  0x28,
  0x29,
  0x2a,
  0x7,
  0x2b,
  0x76,
  0x2c,
  0x8,
  0x9,
  0x2d,
  0x77,
  0x78,
  0x79,
  0x7a,
  0x7b,
  0x7ffe,
  0x7fc,
  0x3ffd,
  0x1ffd,
  0xffffffc,
  0xfffe6,
  0x3fffd2,
  0xfffe7,
  0xfffe8,
  0x3fffd3,
  0x3fffd4,
  0x3fffd5,
  0x7fffd9,
  0x3fffd6,
  0x7fffda,
  0x7fffdb,
  0x7fffdc,
  0x7fffdd,
  0x7fffde,
  0xffffeb,
  0x7fffdf,
  0xffffec,
  0xffffed,
  0x3fffd7,
  0x7fffe0,
  0xffffee,
  0x7fffe1,
  0x7fffe2,
  0x7fffe3,
  0x7fffe4,
  0x1fffdc,
  0x3fffd8,
  0x7fffe5,
  0x3fffd9,
  0x7fffe6,
  0x7fffe7,
  0xffffef,
  0x3fffda,
  0x1fffdd,
  0xfffe9,
  0x3fffdb,
  0x3fffdc,
  0x7fffe8,
  0x7fffe9,
  0x1fffde,
  0x7fffea,
  0x3fffdd,
  0x3fffde,
  0xfffff0,
  0x1fffdf,
  0x3fffdf,
  0x7fffeb,
  0x7fffec,
  0x1fffe0,
  0x1fffe1,
  0x3fffe0,
  0x1fffe2,
  0x7fffed,
  0x3fffe1,
  0x7fffee,
  0x7fffef,
  0xfffea,
  0x3fffe2,
  0x3fffe3,
  0x3fffe4,
  0x7ffff0,
  0x3fffe5,
  0x3fffe6,
  0x7ffff1,
  0x3ffffe0,
  0x3ffffe1,
  0xfffeb,
  0x7fff1,
  0x3fffe7,
  0x7ffff2,
  0x3fffe8,
  0x1ffffec,
  0x3ffffe2,
  0x3ffffe3,
  0x3ffffe4,
  0x7ffffde,
  0x7ffffdf,
  0x3ffffe5,
  0xfffff1,
  0x1ffffed,
  0x7fff2,
  0x1fffe3,
  0x3ffffe6,
  0x7ffffe0,
  0x7ffffe1,
  0x3ffffe7,
  0x7ffffe2,
  0xfffff2,
  0x1fffe4,
  0x1fffe5,
  0x3ffffe8,
  0x3ffffe9,
  0xffffffd,
  0x7ffffe3,
  0x7ffffe4,
  0x7ffffe5,
  0xfffec,
  0xfffff3,
  0xfffed,
  0x1fffe6,
  0x3fffe9,
  0x1fffe7,
  0x1fffe8,
  0x7ffff3,
  0x3fffea,
  0x3fffeb,
  0x1ffffee,
  0x1ffffef,
  0xfffff4,
  0xfffff5,
  0x3ffffea,
  0x7ffff4,
  0x3ffffeb,
  0x7ffffe6,
  0x3ffffec,
  0x3ffffed,
  0x7ffffe7,
  0x7ffffe8,
  0x7ffffe9,
  0x7ffffea,
  0x7ffffeb,
  0xffffffe,
  0x7ffffec,
  0x7ffffed,
  0x7ffffee,
  0x7ffffef,
  0x7fffff0,
  0x3ffffee,
  0x3fffffff,
]);

/** Length in bits of each symbol's Huffman code. */
export const HUFFMAN_LENGTHS: Uint8Array = Uint8Array.from([
  13,
  23,
  28,
  28,
  28,
  28,
  28,
  28,
  28,
  24,
  30,
  28,
  28,
  30,
  28,
  28,
  28,
  28,
  28,
  28,
  28,
  28,
  30,
  28,
  28,
  28,
  28,
  28,
  28,
  28,
  28,
  28,
  6,
  10,
  10,
  12,
  13,
  6,
  8,
  11,
  10,
  10,
  8,
  11,
  8,
  6,
  6,
  6,
  5,
  5,
  5,
  6,
  6,
  6,
  6,
  6,
  6,
  6,
  7,
  8,
  15,
  6,
  12,
  10,
  13,
  6,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  7,
  8,
  7,
  8,
  13,
  19,
  13,
  14,
  6,
  15,
  5,
  6,
  5,
  6,
  5,
  6,
  6,
  6,
  5,
  7,
  7,
  6,
  6,
  6,
  5,
  6,
  7,
  6,
  5,
  5,
  6,
  7,
  7,
  7,
  7,
  7,
  15,
  11,
  14,
  13,
  28,
  20,
  22,
  20,
  20,
  22,
  22,
  22,
  23,
  22,
  23,
  23,
  23,
  23,
  23,
  24,
  23,
  24,
  24,
  22,
  23,
  24,
  23,
  23,
  23,
  23,
  21,
  22,
  23,
  22,
  23,
  23,
  24,
  22,
  21,
  20,
  22,
  22,
  23,
  23,
  21,
  23,
  22,
  22,
  24,
  21,
  22,
  23,
  23,
  21,
  21,
  22,
  21,
  23,
  22,
  23,
  23,
  20,
  22,
  22,
  22,
  23,
  22,
  22,
  23,
  26,
  26,
  20,
  19,
  22,
  23,
  22,
  25,
  26,
  26,
  26,
  27,
  27,
  26,
  24,
  25,
  19,
  21,
  26,
  27,
  27,
  26,
  27,
  24,
  21,
  21,
  26,
  26,
  28,
  27,
  27,
  27,
  20,
  24,
  20,
  21,
  22,
  21,
  21,
  23,
  22,
  22,
  25,
  25,
  24,
  24,
  26,
  23,
  26,
  27,
  26,
  26,
  27,
  27,
  27,
  27,
  27,
  28,
  27,
  27,
  27,
  27,
  27,
  26,
  30,
]);

// Decoding automaton: one state per internal node of the code tree (256 of
// them; state 0 is the root). DECODE[state * 16 + nibble] packs the next state
// (bits 0-7), the emitted symbol plus one (bits 8-16, 0 for none: codes are at
// least 5 bits long, so a nibble emits at most one symbol) and two flags.
const FLAG_FAIL = 1 << 17;
const FLAG_ACCEPT = 1 << 18;

function buildDecoder(): Uint32Array {
  // Tree as child arrays; leaves are stored as -(symbol + 1).
  const zero: number[] = [0];
  const one: number[] = [0];
  let nodes = 1;
  for (let sym = 0; sym < 257; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      const side = (code >>> bit) & 1 ? one : zero;
      if (bit === 0) {
        side[node] = -(sym + 1);
      } else {
        let next = side[node]!;
        if (next === 0) {
          next = nodes++;
          zero[next] = 0;
          one[next] = 0;
          side[node] = next;
        }
        node = next;
      }
    }
  }
  // Depth and "all ones so far" per node: a string may end only in a node
  // reached from the root by at most 7 one-bits (the EOS prefix as padding).
  const depth = new Uint8Array(nodes);
  const ones = new Uint8Array(nodes);
  ones[0] = 1;
  for (let n = 0; n < nodes; n++) {
    const z = zero[n]!;
    const o = one[n]!;
    if (z > 0) depth[z] = depth[n]! + 1;
    if (o > 0) {
      depth[o] = depth[n]! + 1;
      ones[o] = ones[n]!;
    }
  }
  const table = new Uint32Array(nodes * 16);
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let emitted = 0;
      let fail = false;
      for (let bit = 3; bit >= 0; bit--) {
        const next = (nibble >>> bit) & 1 ? one[node]! : zero[node]!;
        if (next < 0) {
          const sym = -next - 1;
          if (sym === 256) fail = true;
          emitted = sym + 1;
          node = 0;
        } else {
          node = next;
        }
      }
      const accept = node === 0 || (ones[node] === 1 && depth[node]! <= 7);
      table[state * 16 + nibble] = fail
        ? FLAG_FAIL
        : node | (emitted << 8) | (accept ? FLAG_ACCEPT : 0);
    }
  }
  return table;
}

const DECODE = buildDecoder();

/**
 * Decodes Huffman-coded octets `src[start..end)` into `out` from index 0.
 * Returns the number of octets written, or -1 when the input is not valid
 * (EOS inside the string, padding longer than 7 bits or not all ones).
 * `out` must hold at least `(end - start) * 8 / 5` octets.
 */
export function huffmanDecode(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): number {
  let state = 0;
  let accept = true;
  let o = 0;
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    let e = DECODE[(state << 4) | (b >>> 4)]!;
    if (e & FLAG_FAIL) return -1;
    let sym = (e >>> 8) & 0x1ff;
    if (sym !== 0) out[o++] = sym - 1;
    state = e & 0xff;
    e = DECODE[(state << 4) | (b & 15)]!;
    if (e & FLAG_FAIL) return -1;
    sym = (e >>> 8) & 0x1ff;
    if (sym !== 0) out[o++] = sym - 1;
    state = e & 0xff;
    accept = (e & FLAG_ACCEPT) !== 0;
  }
  return accept ? o : -1;
}

/** The length in octets of `src` once Huffman-coded (padding included). */
export function huffmanEncodedLength(src: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < src.length; i++) bits += HUFFMAN_LENGTHS[src[i]!]!;
  return Math.ceil(bits / 8);
}

/**
 * Huffman-codes `src` into `out` at `offset`, padding the last octet with the
 * most significant bits of EOS (all ones). Returns the offset after the last
 * octet written; `out` must have room for {@linkcode huffmanEncodedLength}.
 */
export function huffmanEncode(src: Uint8Array, out: Uint8Array, offset: number): number {
  // At most 7 pending bits plus a 30-bit code: 37 bits, exact in a double.
  let acc = 0;
  let n = 0;
  let o = offset;
  for (let i = 0; i < src.length; i++) {
    const sym = src[i]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    acc = acc * 2 ** len + HUFFMAN_CODES[sym]!;
    n += len;
    while (n >= 8) {
      n -= 8;
      const div = 2 ** n;
      const byte = Math.floor(acc / div);
      out[o++] = byte;
      acc -= byte * div;
    }
  }
  if (n > 0) out[o++] = (acc << (8 - n)) | (0xff >>> n);
  return o;
}
