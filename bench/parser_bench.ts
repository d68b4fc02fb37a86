/**
 * Parser cost per response: tailgate's byte parser against http-parser-js
 * (autocannon's parser) on the same bytes, the way the fast client feeds
 * them (one read holding a whole nginx response, the read buffer reused).
 *
 *   deno run bench/parser_bench.ts
 *
 * Prints ns per response for a small nginx response, a chunked response
 * and a 16 KiB Content-Length response, best of 5 rounds each.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import { Http1ResponseParser } from "../lib/client/_http1_parser.ts";

const CASES: Record<string, string> = {
  "nginx 200 (2-byte body)": "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n" +
    "Date: Thu, 26 Nov 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n" +
    "Connection: keep-alive\r\n\r\nok",
  "chunked, 3 chunks + trailer": "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
    'Transfer-Encoding: chunked\r\n\r\nf\r\n{"id":1,"ok":tr\r\n4\r\nue, \r\n9\r\n"n":12345\r\n' +
    "0\r\nX-Sum: 1\r\n\r\n",
  "16 KiB Content-Length": "HTTP/1.1 200 OK\r\nContent-Length: 16384\r\n\r\n" + "x".repeat(16384),
};

function ours(bytes: Uint8Array, n: number): number {
  const p = new Http1ResponseParser();
  let total = 0;
  for (let i = 0; i < n; i++) {
    p.start(false);
    p.push(bytes, 0, bytes.length);
    if (!p.complete) throw new Error("incomplete");
    total += p.bodyBytes;
  }
  return total;
}

function theirs(buf: Buffer, n: number): number {
  const p = new HTTPParser(HTTPParser.RESPONSE);
  let total = 0;
  let done = 0;
  p[HTTPParser.kOnHeadersComplete] = () => 0;
  p[HTTPParser.kOnBody] = (_b: Buffer, _s: number, l: number) => {
    total += l;
  };
  p[HTTPParser.kOnMessageComplete] = () => {
    done++;
  };
  for (let i = 0; i < n; i++) {
    const r = p.execute(buf);
    if (r instanceof Error) throw r;
  }
  if (done !== n) throw new Error(`http-parser-js completed ${done} of ${n}`);
  return total;
}

function best(fn: () => void, n: number): number {
  let bestNs = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    fn();
    bestNs = Math.min(bestNs, ((performance.now() - t) * 1e6) / n);
  }
  return bestNs;
}

/** Runs the comparison and returns rows of [case, ours ns, http-parser-js ns]. */
export function runParserBench(n = 200_000): [string, number, number][] {
  const rows: [string, number, number][] = [];
  for (const [name, text] of Object.entries(CASES)) {
    const bytes = new Uint8Array(Buffer.from(text, "latin1"));
    const buf = Buffer.from(bytes);
    const count = text.length > 1000 ? n / 10 : n;
    const a = best(() => ours(bytes, count), count);
    const b = best(() => theirs(buf, count), count);
    rows.push([name, a, b]);
  }
  return rows;
}

if (import.meta.main) {
  console.log("parser cost per response (best of 5 rounds)");
  console.log("case                          tailgate   http-parser-js   ratio");
  for (const [name, a, b] of runParserBench()) {
    console.log(
      `${name.padEnd(30)}${a.toFixed(0).padStart(6)} ns ${b.toFixed(0).padStart(12)} ns ${
        (b / a).toFixed(1).padStart(7)
      }x`,
    );
  }
}
