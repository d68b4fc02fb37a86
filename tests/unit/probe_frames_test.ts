import assert from "node:assert/strict";
import {
  h2cPreface,
  h2Goaway,
  isH2Settings,
  isHttp1Status,
} from "../../lib/client/_probe_frames.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("h2cPreface() is the RFC 9113 preface followed by an empty SETTINGS frame", () => {
  const bytes = h2cPreface();
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 24)), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.deepEqual([...bytes.subarray(24)], [0, 0, 0, 4, 0, 0, 0, 0, 0]);
});

Deno.test("h2Goaway() is a GOAWAY frame on stream 0 with last stream 0 and NO_ERROR", () => {
  assert.deepEqual([...h2Goaway()], [0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("isH2Settings() recognizes a server's first SETTINGS frame", async (t) => {
  const cases: [string, number[] | Uint8Array, "yes" | "no" | "more"][] = [
    ["empty SETTINGS", [0, 0, 0, 4, 0, 0, 0, 0, 0], "yes"],
    ["SETTINGS with two parameters", [0, 0, 12, 4, 0, 0, 0, 0, 0, ...new Array(12).fill(1)], "yes"],
    ["Deno.serve-like SETTINGS of 18 bytes, header only", [0, 0, 18, 4, 0, 0, 0, 0, 0], "yes"],
    ["nothing yet", [], "more"],
    ["a partial frame header that could still be SETTINGS", [0, 0, 6, 4], "more"],
    ["a partial header of another type", [0, 0, 8, 7], "no"],
    ["SETTINGS ACK (not what a server sends first)", [0, 0, 0, 4, 1, 0, 0, 0, 0], "no"],
    ["SETTINGS on stream 1", [0, 0, 0, 4, 0, 0, 0, 0, 1], "no"],
    ["SETTINGS of a length that is not a multiple of 6", [0, 0, 7, 4, 0, 0, 0, 0, 0], "no"],
    ["GOAWAY (an HTTP/2 server refusing)", [0, 0, 8, 7, 0, 0, 0, 0, 0], "no"],
    ["an HTTP/1.1 error reply", enc("HTTP/1.1 400 Bad Request\r\n"), "no"],
    ["one byte of an HTTP/1.1 reply", enc("H"), "no"],
  ];
  for (const [name, bytes, want] of cases) {
    await t.step(name, () => assert.equal(isH2Settings(Uint8Array.from(bytes)), want));
  }
});

Deno.test("isHttp1Status() recognizes an HTTP/1.x status line whatever the status", async (t) => {
  const cases: [string, Uint8Array, "yes" | "no" | "more"][] = [
    ["HTTP/1.1 200", enc("HTTP/1.1 200 OK\r\n"), "yes"],
    ["HTTP/1.0 505", enc("HTTP/1.0 505 HTTP Version Not Supported\r\n"), "yes"],
    ["just the prefix", enc("HTTP/1."), "more"],
    ["a few bytes", enc("HT"), "more"],
    ["HTTP/2 text", enc("HTTP/2 200\r\n"), "no"],
    ["HTTP/1.2", enc("HTTP/1.2 200"), "no"],
    ["an HTTP/2 frame", Uint8Array.from([0, 0, 8, 7, 0, 0, 0, 0, 0]), "no"],
  ];
  for (const [name, bytes, want] of cases) {
    await t.step(name, () => assert.equal(isHttp1Status(bytes), want));
  }
});
