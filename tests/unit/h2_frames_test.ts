/** HTTP/2 framing tests: encoders, parsers and FrameReader over split byte streams. */
import assert from "node:assert/strict";
import {
  encodeGoaway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  ErrorCode,
  errorCodeName,
  Flag,
  FrameReader,
  FrameType,
  H2ProtocolError,
  parseGoaway,
  parseRstStream,
  parseSettings,
  parseWindowUpdate,
  PREFACE,
  Setting,
  unpadded,
  writeFrameHeader,
} from "../../lib/client/_h2_frames.ts";

Deno.test("PREFACE is the RFC 9113 client connection preface", () => {
  assert.equal(new TextDecoder().decode(PREFACE), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.equal(PREFACE.length, 24);
});

Deno.test("writeFrameHeader() lays out length, type, flags and stream id", () => {
  const out = new Uint8Array(9);
  writeFrameHeader(out, 0, 0x123456, FrameType.HEADERS, Flag.END_HEADERS, 0x7fffffff);
  assert.deepEqual([...out], [0x12, 0x34, 0x56, 1, 4, 0x7f, 0xff, 0xff, 0xff]);
  // The reserved bit is never set.
  writeFrameHeader(out, 0, 0, 0, 0, 0xffffffff);
  assert.equal(out[5], 0x7f);
});

Deno.test("encodeSettings() and parseSettings() round-trip and validate", async (t) => {
  await t.step("round trip", () => {
    const frame = encodeSettings([
      [Setting.MAX_CONCURRENT_STREAMS, 100],
      [Setting.INITIAL_WINDOW_SIZE, 2 ** 31 - 1],
      [Setting.MAX_FRAME_SIZE, 16_384],
      [0xff, 7],
    ]);
    assert.deepEqual([...frame.subarray(0, 9)], [0, 0, 24, 4, 0, 0, 0, 0, 0]);
    assert.deepEqual(parseSettings(frame, 9, frame.length), [
      [3, 100],
      [4, 2 ** 31 - 1],
      [5, 16_384],
      [0xff, 7],
    ]);
  });
  await t.step("ACK is empty with the ACK flag", () => {
    assert.deepEqual([...encodeSettings([], true)], [0, 0, 0, 4, 1, 0, 0, 0, 0]);
  });
  const bad: [string, Uint8Array, number, RegExp][] = [
    ["length not a multiple of 6", new Uint8Array(5), ErrorCode.FRAME_SIZE_ERROR, /multiple of 6/],
    ["ENABLE_PUSH of 2", Uint8Array.of(0, 2, 0, 0, 0, 2), ErrorCode.PROTOCOL_ERROR, /ENABLE_PUSH/],
    [
      "INITIAL_WINDOW_SIZE above 2^31-1",
      Uint8Array.of(0, 4, 0x80, 0, 0, 0),
      ErrorCode.FLOW_CONTROL_ERROR,
      /INITIAL_WINDOW_SIZE/,
    ],
    [
      "MAX_FRAME_SIZE below 16384",
      Uint8Array.of(0, 5, 0, 0, 0x3f, 0xff),
      ErrorCode.PROTOCOL_ERROR,
      /MAX_FRAME_SIZE/,
    ],
    [
      "MAX_FRAME_SIZE above 2^24-1",
      Uint8Array.of(0, 5, 1, 0, 0, 0),
      ErrorCode.PROTOCOL_ERROR,
      /MAX_FRAME_SIZE/,
    ],
  ];
  for (const [what, payload, code, message] of bad) {
    await t.step(`rejects ${what}`, () => {
      assert.throws(() => parseSettings(payload, 0, payload.length), (e: unknown) => {
        assert.ok(e instanceof H2ProtocolError);
        assert.equal(e.code, code);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

Deno.test("encodeWindowUpdate() and parseWindowUpdate() round-trip within range", () => {
  const frame = encodeWindowUpdate(3, 2 ** 31 - 1);
  assert.deepEqual([...frame.subarray(0, 9)], [0, 0, 4, 8, 0, 0, 0, 0, 3]);
  assert.equal(parseWindowUpdate(frame, 9, 13), 2 ** 31 - 1);
  assert.throws(() => encodeWindowUpdate(0, 0), RangeError);
  assert.throws(() => encodeWindowUpdate(0, 2 ** 31), RangeError);
  assert.throws(() => parseWindowUpdate(frame, 9, 12), H2ProtocolError);
  // The reserved bit is ignored on receipt.
  assert.equal(parseWindowUpdate(Uint8Array.of(0x80, 0, 0, 1), 0, 4), 1);
});

Deno.test("encodePing() copies the opaque data and sets ACK", () => {
  const data = Uint8Array.of(9, 1, 2, 3, 4, 5, 6, 7, 8);
  const frame = encodePing(data, 1, true);
  assert.deepEqual([...frame], [0, 0, 8, 6, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(encodePing(data, 1, false)[4], 0);
});

Deno.test("encodeRstStream() and parseRstStream() round-trip", () => {
  const frame = encodeRstStream(5, ErrorCode.CANCEL);
  assert.deepEqual([...frame], [0, 0, 4, 3, 0, 0, 0, 0, 5, 0, 0, 0, 8]);
  assert.equal(parseRstStream(frame, 9, 13), ErrorCode.CANCEL);
  assert.throws(() => parseRstStream(frame, 9, 11), H2ProtocolError);
});

Deno.test("encodeGoaway() and parseGoaway() round-trip, ignoring debug data", () => {
  const frame = encodeGoaway(41, ErrorCode.ENHANCE_YOUR_CALM);
  assert.deepEqual(parseGoaway(frame, 9, 17), { lastStreamId: 41, errorCode: 0xb });
  const withDebug = Uint8Array.of(0x80, 0, 0, 7, 0, 0, 0, 0, 0x61, 0x62);
  assert.deepEqual(parseGoaway(withDebug, 0, withDebug.length), {
    lastStreamId: 7,
    errorCode: 0,
  });
  assert.throws(() => parseGoaway(frame, 9, 16), H2ProtocolError);
});

Deno.test("errorCodeName() names known codes and shows others in hex", () => {
  assert.equal(errorCodeName(0), "NO_ERROR");
  assert.equal(errorCodeName(0xd), "HTTP_1_1_REQUIRED");
  assert.equal(errorCodeName(0x42), "0x42");
});

Deno.test("unpadded() strips padding and priority fields", async (t) => {
  await t.step("DATA without flags", () => {
    assert.deepEqual(unpadded(new Uint8Array(4), 0, 4, FrameType.DATA, 0), [0, 4]);
  });
  await t.step("DATA padded", () => {
    assert.deepEqual(unpadded(Uint8Array.of(2, 7, 0, 0), 0, 4, FrameType.DATA, Flag.PADDED), [
      1,
      2,
    ]);
  });
  await t.step("HEADERS padded with priority", () => {
    const payload = Uint8Array.of(1, 0, 0, 0, 3, 16, 0x88, 0);
    assert.deepEqual(
      unpadded(payload, 0, payload.length, FrameType.HEADERS, Flag.PADDED | Flag.PRIORITY),
      [6, 7],
    );
  });
  await t.step("padding longer than the payload", () => {
    assert.throws(
      () => unpadded(Uint8Array.of(5, 1), 0, 2, FrameType.DATA, Flag.PADDED),
      H2ProtocolError,
    );
    assert.throws(() => unpadded(new Uint8Array(0), 0, 0, FrameType.DATA, Flag.PADDED));
  });
});

/** A stream of frames of assorted sizes. */
function frames(): Uint8Array {
  const parts: Uint8Array[] = [encodeSettings([[Setting.MAX_CONCURRENT_STREAMS, 1]])];
  for (let i = 0; i < 50; i++) {
    const length = (i * 997) % 16_385;
    const f = new Uint8Array(9 + length);
    writeFrameHeader(f, 0, length, FrameType.DATA, i % 2, 2 * i + 1);
    for (let j = 0; j < length; j++) f[9 + j] = (i + j) & 0xff;
    parts.push(f);
  }
  parts.push(encodeGoaway(99, 0));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("FrameReader.next() yields every frame whatever the read sizes", async (t) => {
  const stream = frames();
  for (const chunk of [1, 7, 9, 100, 4096, 70_000]) {
    await t.step(`reads of ${chunk} octets`, () => {
      const reader = new FrameReader(16_384, 32_768);
      const seen: [number, number, number, number, number][] = [];
      let at = 0;
      while (at < stream.length) {
        const space = reader.space();
        const n = Math.min(chunk, space.length, stream.length - at);
        assert.ok(n > 0, "the reader always has space for a whole frame");
        space.set(stream.subarray(at, at + n));
        at += n;
        reader.commit(n);
        while (reader.next()) {
          const b = reader.buffer;
          let sum = 0;
          for (let j = reader.payloadStart; j < reader.payloadEnd; j++) sum = (sum + b[j]!) | 0;
          seen.push([reader.type, reader.flags, reader.streamId, reader.length, sum]);
        }
      }
      assert.equal(reader.pending, 0);
      assert.equal(seen.length, 52);
      assert.deepEqual(seen[0], [FrameType.SETTINGS, 0, 0, 6, 3 + 1]);
      for (let i = 0; i < 50; i++) {
        const length = (i * 997) % 16_385;
        let sum = 0;
        for (let j = 0; j < length; j++) sum = (sum + ((i + j) & 0xff)) | 0;
        assert.deepEqual(seen[i + 1], [FrameType.DATA, i % 2, 2 * i + 1, length, sum]);
      }
      assert.deepEqual(seen[51]!.slice(0, 4), [FrameType.GOAWAY, 0, 0, 8]);
    });
  }
});

Deno.test("FrameReader.next() rejects a frame above the maximum size", () => {
  const reader = new FrameReader(16_384);
  const header = new Uint8Array(9);
  writeFrameHeader(header, 0, 16_385, FrameType.DATA, 0, 1);
  reader.space().set(header);
  reader.commit(9);
  assert.throws(() => reader.next(), (e: unknown) => {
    assert.ok(e instanceof H2ProtocolError);
    assert.equal(e.code, ErrorCode.FRAME_SIZE_ERROR);
    assert.match(e.message, /^HTTP\/2 FRAME_SIZE_ERROR: frame length 16385 exceeds 16384$/);
    return true;
  });
});

Deno.test("FrameReader.next() names an HTTP/1.x reply to the preface instead of a frame length", () => {
  const reader = new FrameReader(16_384);
  const reply = new TextEncoder().encode(
    "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n",
  );
  reader.space().set(reply);
  reader.commit(reply.length);
  assert.throws(() => reader.next(), (e: unknown) => {
    assert.ok(e instanceof H2ProtocolError);
    assert.equal(e.code, ErrorCode.FRAME_SIZE_ERROR);
    assert.match(
      e.message,
      /the server replied in HTTP\/1\.x \("HTTP\/1\.1 400 Bad Request"\), not HTTP\/2: it does not speak HTTP\/2 with prior knowledge \(h2c\)/,
    );
    return true;
  });
});

Deno.test("FrameReader.next() names a bare text reply (Python's http.server) to the preface", () => {
  const reader = new FrameReader(16_384);
  const reply = new TextEncoder().encode('<!DOCTYPE HTML>\n<html lang="en">\n<head>');
  reader.space().set(reply);
  reader.commit(reply.length);
  assert.throws(
    () => reader.next(),
    /the server replied with text \("<!DOCTYPE HTML>"\), not HTTP\/2/,
  );
});
