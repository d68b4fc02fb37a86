/**
 * The hand-written parser is checked against http-parser-js (the parser
 * autocannon uses) on the same byte streams, split at every position and at
 * seeded random positions, plus malformed input that must end in an error.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import { Http1ResponseParser } from "../../lib/client/_http1_parser.ts";
import { createRng } from "../../lib/rng.ts";

interface Message {
  status: number;
  body: string;
  keepAlive: boolean;
}

interface Stream {
  bytes: Uint8Array;
  /** Per final response: whether it answers a HEAD request. */
  head: boolean[];
  /** Whether the stream ends in a body delimited by the connection close. */
  closeDelimited: boolean;
}

const enc = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const latin1 = (b: Uint8Array, s = 0, e = b.length) =>
  Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("latin1");

function randomBody(r: () => number, max: number): string {
  const n = Math.floor(r() * max);
  let s = "";
  // Bytes that look like framing (CR, LF, '0', ':') must not confuse either parser.
  const alphabet = "abc\r\n0:;XYZ \t\u00ff";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Builds a random keep-alive conversation: several responses on one connection. */
function randomStream(r: () => number): Stream {
  const parts: string[] = [];
  const head: boolean[] = [];
  const count = 1 + Math.floor(r() * 5);
  let closeDelimited = false;
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    if (r() < 0.2) parts.push(`HTTP/1.1 100 Continue\r\n\r\n`);
    if (r() < 0.1) parts.push(`HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n`);
    const extra = r() < 0.5 ? `Server: nginx\r\nDate: Thu, 26 Nov 2026 10:00:00 GMT\r\n` : "";
    const minor = r() < 0.15 ? 0 : 1;
    const conn = minor === 0
      ? "Connection: keep-alive\r\n"
      : r() < 0.3
      ? "connection: Keep-Alive\r\n"
      : "";
    const kind = Math.floor(r() * (last ? 7 : 6));
    const isHead = kind === 5;
    head.push(isHead);
    const body = randomBody(r, r() < 0.1 ? 70_000 : 300);
    switch (kind) {
      case 0:
      case 1: // Content-Length
        parts.push(
          `HTTP/1.${minor} 200 OK\r\n${extra}${conn}Content-Length: ${body.length}\r\n\r\n${body}`,
        );
        break;
      case 2: { // chunked, with extensions and trailers sometimes
        let s = `HTTP/1.${minor} 201 Created\r\n${conn}Transfer-Encoding: chunked\r\n${extra}\r\n`;
        let rest = body;
        while (rest.length > 0) {
          const n = 1 + Math.floor(r() * Math.min(rest.length, 5000));
          const ext = r() < 0.2 ? ";name=value" : "";
          const hex = n.toString(16);
          s += `${r() < 0.5 ? hex.toUpperCase() : hex}${ext}\r\n${rest.slice(0, n)}\r\n`;
          rest = rest.slice(n);
        }
        s += "0\r\n";
        if (r() < 0.4) s += "X-Checksum: abc\r\nX-Other: 1\r\n";
        s += "\r\n";
        parts.push(s);
        break;
      }
      case 3:
        parts.push(`HTTP/1.${minor} 204 No Content\r\n${conn}${extra}\r\n`);
        break;
      case 4:
        parts.push(`HTTP/1.${minor} 304 Not Modified\r\n${conn}ETag: "x"\r\n\r\n`);
        break;
      case 5: // HEAD: the Content-Length describes a body that is not sent
        parts.push(`HTTP/1.${minor} 200 OK\r\n${conn}Content-Length: ${body.length + 10}\r\n\r\n`);
        break;
      case 6: // last response only: body delimited by the close
        parts.push(`HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n${body}`);
        closeDelimited = true;
        break;
    }
  }
  return { bytes: enc(parts.join("")), head, closeDelimited };
}

/** Splits [0, n) into pieces at the given cut positions. */
function pieces(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...sorted, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

/** Runs our parser over chunks the way the fast client does. */
function ours(
  chunks: Uint8Array[],
  head: boolean[],
): { messages: Message[]; error: string | null } {
  const p = new Http1ResponseParser();
  const messages: Message[] = [];
  let body = "";
  p.onBody = (b, s, e) => (body += latin1(b, s, e));
  let i = 0;
  p.start(head[0] ?? false);
  const finishOne = () => {
    messages.push({ status: p.status, body, keepAlive: p.keepAlive });
    body = "";
    i++;
    p.start(head[i] ?? false);
  };
  for (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      off += p.push(chunk, off, chunk.length);
      if (p.error !== null) return { messages, error: p.error };
      if (p.complete) finishOne();
    }
  }
  if (!p.idle) {
    if (p.finish()) finishOne();
    else return { messages, error: p.error };
  }
  return { messages, error: null };
}

/** Runs http-parser-js over the same chunks. */
function theirs(chunks: Uint8Array[], head: boolean[]): { messages: Message[]; error: boolean } {
  const parser = new HTTPParser(HTTPParser.RESPONSE);
  const messages: Message[] = [];
  let cur: Message | null = null;
  let finals = 0;
  parser[HTTPParser.kOnHeadersComplete] = (
    info: { statusCode: number; shouldKeepAlive: boolean },
  ) => {
    cur = { status: info.statusCode, body: "", keepAlive: info.shouldKeepAlive };
    if (info.statusCode < 200) return 0;
    return head[finals] ? 1 : 0; // 1 = skipBody, for a HEAD response
  };
  parser[HTTPParser.kOnBody] = (b: Buffer, s: number, l: number) => {
    if (cur) cur.body += b.toString("latin1", s, s + l);
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (cur && cur.status >= 200) {
      messages.push(cur);
      finals++;
    }
    cur = null;
  };
  for (const chunk of chunks) {
    const r = parser.execute(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    if (r instanceof Error) return { messages, error: true };
  }
  const f = parser.finish();
  return { messages, error: f instanceof Error };
}

function expectSame(stream: Stream, cuts: number[], label: string) {
  const chunks = pieces(stream.bytes, cuts);
  const a = ours(chunks, stream.head);
  const b = theirs(chunks, stream.head);
  assert.equal(a.error, null, `${label}: our parser failed: ${a.error}`);
  assert.equal(b.error, false, `${label}: http-parser-js failed`);
  assert.equal(a.messages.length, stream.head.length, `${label}: message count`);
  assert.deepEqual(a.messages, b.messages, label);
}

const NGINX = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 10:00:00 GMT\r\n" +
  "Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
const CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nX-Two: 2\r\n\r\n";
const WITH_INTERIM = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <x>\r\n\r\n" +
  "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope";

Deno.test("Http1ResponseParser matches http-parser-js when split at every position", async (t) => {
  const cases: [string, Stream][] = [
    ["nginx", { bytes: enc(NGINX + NGINX), head: [false, false], closeDelimited: false }],
    ["chunked with trailers", { bytes: enc(CHUNKED), head: [false], closeDelimited: false }],
    ["1xx interim", { bytes: enc(WITH_INTERIM), head: [false], closeDelimited: false }],
    ["HEAD then 204 then 304", {
      bytes: enc(
        "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n" +
          'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n',
      ),
      head: [true, false, false],
      closeDelimited: false,
    }],
    ["close-delimited", {
      bytes: enc("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"),
      head: [false],
      closeDelimited: true,
    }],
  ];
  for (const [name, stream] of cases) {
    await t.step(name, () => {
      for (let i = 0; i <= stream.bytes.length; i++) {
        expectSame(stream, [i], `${name}, cut at ${i}`);
        for (let j = i + 1; j <= stream.bytes.length; j += 7) {
          expectSame(stream, [i, j], `${name}, cuts ${i},${j}`);
        }
      }
      // One byte per read.
      expectSame(
        stream,
        Array.from({ length: stream.bytes.length }, (_, i) => i),
        `${name}, byte by byte`,
      );
    });
  }
});

Deno.test("Http1ResponseParser matches http-parser-js on seeded random streams and splits", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = createRng(seed).next;
    const stream = randomStream(r);
    const cutCount = Math.floor(r() * 12);
    const cuts = Array.from({ length: cutCount }, () => Math.floor(r() * stream.bytes.length));
    expectSame(stream, cuts, `seed ${seed}`);
  }
});

Deno.test("Http1ResponseParser reports keep-alive, status and body size for common responses", () => {
  const p = new Http1ResponseParser();
  const b = enc(NGINX);
  p.start(false);
  assert.equal(p.push(b, 0, b.length), b.length);
  assert.equal(p.complete, true);
  assert.equal(p.status, 200);
  assert.equal(p.bodyBytes, 2);
  assert.equal(p.keepAlive, true);

  const close = enc("HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  p.start(false);
  p.push(close, 0, close.length);
  assert.equal(p.complete, true);
  assert.equal(p.status, 503);
  assert.equal(p.keepAlive, false);

  const old = enc("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx");
  p.start(false);
  p.push(old, 0, old.length);
  assert.equal(p.complete, true);
  assert.equal(p.keepAlive, false, "HTTP/1.0 without keep-alive closes");
});

Deno.test("Http1ResponseParser ends a 304 at its headers even with a Content-Length", () => {
  // RFC 9112 §6.3: 1xx, 204 and 304 responses never have a body. http-parser-js
  // differs here (it waits for the 5 bytes), which would hang a keep-alive client.
  const b = enc("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
  const p = new Http1ResponseParser();
  p.start(false);
  assert.equal(p.push(b, 0, b.length), b.length);
  assert.equal(p.complete, true);
  assert.equal(p.bodyBytes, 0);
  assert.equal(theirs([b], [false]).messages.length, 0, "http-parser-js still waits for a body");
});

Deno.test("Http1ResponseParser stops at the end of a message and leaves extra bytes", () => {
  const p = new Http1ResponseParser();
  const b = enc(NGINX + "HTTP/1.1");
  p.start(false);
  assert.equal(p.push(b, 0, b.length), NGINX.length);
  assert.equal(p.complete, true);
});

Deno.test("Http1ResponseParser counts a body far larger than one read", () => {
  const size = 5 * 1024 * 1024;
  const head = enc(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
  const p = new Http1ResponseParser();
  p.start(false);
  p.push(head, 0, head.length);
  assert.equal(p.headersComplete, true);
  const chunk = new Uint8Array(65536);
  let sent = 0;
  while (sent < size) {
    const n = Math.min(chunk.length, size - sent);
    assert.equal(p.push(chunk, 0, n), n);
    sent += n;
  }
  assert.equal(p.complete, true);
  assert.equal(p.bodyBytes, size);
});

const MALFORMED: [string, string][] = [
  ["garbage status line", "HTTX/1.1 200 OK\r\n\r\n"],
  ["status not numeric", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"],
  ["HTTP/2 status line", "HTTP/2.0 200 OK\r\n\r\n"],
  ["bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nabc"],
  ["negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
  [
    "conflicting Content-Length",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
  ],
  [
    "bad chunk size",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "chunk data too long",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "huge chunk size",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n",
  ],
  ["header without colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok"],
  ["space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"],
  ["obsolete folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n"],
  ["bare CR in a header line", "HTTP/1.1 200 OK\r\nContent-Length: 0\rX: 1\r\n\r\n"],
  ["bare CR ending the status line", "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"],
  [
    "a Content-Length list of different values",
    "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nabc",
  ],
  ["a Content-Length list with garbage", "HTTP/1.1 200 OK\r\nContent-Length: 2, x\r\n\r\nab"],
  [
    "a Content-Length list and a header of another value",
    "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 3\r\n\r\nabc",
  ],
  [
    "bare LF after a chunk size",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
  ],
  ["control character in value", "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\nContent-Length: 0\r\n\r\n"],
  ["101 switching protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"],
  ["truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
  ["truncated head", "HTTP/1.1 200 OK\r\nContent-Len"],
  ["truncated chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"],
];

Deno.test("Http1ResponseParser rejects malformed responses at every split, never hanging", async (t) => {
  for (const [name, text] of MALFORMED) {
    await t.step(name, () => {
      const bytes = enc(text);
      for (let i = 0; i <= bytes.length; i++) {
        const got = ours(pieces(bytes, [i]), [false]);
        assert.notEqual(
          got.error,
          null,
          `${name}, cut at ${i}: accepted ${JSON.stringify(got.messages)}`,
        );
        assert.equal(got.messages.length, 0, `${name}, cut at ${i}`);
      }
    });
  }
});

/** What RFC 9112 and RFC 9110 let a recipient accept, and what the fetch profiles accept too. */
const TOLERATED: [string, string, Message][] = [
  [
    "bare LF line endings (RFC 9112 §2.2)",
    "HTTP/1.1 200 OK\nServer: x\nContent-Length: 2\n\nok",
    { status: 200, body: "ok", keepAlive: true },
  ],
  [
    "bare LF mixed with CRLF, no reason phrase",
    "HTTP/1.1 404\nContent-Length: 4\r\nConnection: close\n\r\nnope",
    { status: 404, body: "nope", keepAlive: false },
  ],
  [
    "a bare LF ending a chunked response's trailers",
    "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\nX-T: 1\n\n",
    { status: 200, body: "abc", keepAlive: true },
  ],
  [
    "Content-Length: 2, 2 (RFC 9110 §8.6)",
    "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok",
    { status: 200, body: "ok", keepAlive: true },
  ],
  [
    "a Content-Length list beside the same value",
    "HTTP/1.1 200 OK\r\nContent-Length: 3,3 ,3\r\nContent-Length: 3\r\n\r\nabc",
    { status: 200, body: "abc", keepAlive: true },
  ],
  [
    "leading zeros in chunk sizes",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n" +
    "0000000000000000000002\r\nab\r\n00000000000000000000\r\n\r\n",
    { status: 200, body: "helloab", keepAlive: true },
  ],
];

Deno.test("Http1ResponseParser accepts RFC 9112's tolerated forms at every split", async (t) => {
  for (const [name, text, want] of TOLERATED) {
    await t.step(name, () => {
      const bytes = enc(text);
      for (let i = 0; i <= bytes.length; i++) {
        const got = ours(pieces(bytes, [i]), [false]);
        assert.equal(got.error, null, `${name}, cut at ${i}`);
        assert.deepEqual(got.messages, [want], `${name}, cut at ${i}`);
      }
    });
  }
});

Deno.test("Http1ResponseParser rejects a header block over 64 KiB", () => {
  const p = new Http1ResponseParser();
  p.start(false);
  const line = enc(`X-Big: ${"a".repeat(1000)}\r\n`);
  const start = enc("HTTP/1.1 200 OK\r\n");
  p.push(start, 0, start.length);
  for (let i = 0; i < 100 && p.error === null; i++) p.push(line, 0, line.length);
  assert.match(p.error ?? "", /64 KiB/);
});

Deno.test("Http1ResponseParser never throws on seeded random corruption", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = createRng(seed * 7919).next;
    const stream = randomStream(r);
    const bytes = stream.bytes.slice();
    const flips = 1 + Math.floor(r() * 4);
    for (let k = 0; k < flips; k++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
    const cuts = Array.from({ length: 5 }, () => Math.floor(r() * bytes.length));
    // It must end with either messages or an error: feeding then finishing always settles.
    const got = ours(pieces(bytes, cuts), stream.head);
    assert.ok(got.error !== null || got.messages.length >= 1, `seed ${seed}`);
  }
});
