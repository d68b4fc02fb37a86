/**
 * Integration tests for the `fast-h2` profile on 127.0.0.1, port 0: a small
 * scripted HTTP/2 server (built on the same framing and HPACK modules, and
 * misbehaving on demand) and Deno.serve (h2c prior knowledge and TLS ALPN).
 * Every server is closed by its test; every loop is bounded.
 */
import assert from "node:assert/strict";
import { createFastH2Client } from "../../lib/client/fast_h2.ts";
import type { ClientOptions, HttpRequest, Outcome } from "../../lib/client/types.ts";
import { encodeHeaderBlock, type HeaderField, HpackDecoder } from "../../lib/client/_hpack.ts";
import {
  encodeGoaway,
  encodeSettings,
  encodeWindowUpdate,
  ErrorCode,
  Flag,
  FrameReader,
  FrameType,
  parseGoaway,
  PREFACE,
  Setting,
  writeFrameHeader,
} from "../../lib/client/_h2_frames.ts";

const testdata = new URL("../testdata/", import.meta.url);
const [CA, CERT, KEY] = await Promise.all(
  ["ca.pem", "server.pem", "server-key.pem"].map((f) => Deno.readTextFile(new URL(f, testdata))),
);

function frame(type: number, flags: number, id: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, id);
  out.set(payload, 9);
  return out;
}

interface Received {
  type: number;
  flags: number;
  id: number;
  length: number;
  payload: Uint8Array;
}

/** One request as the scripted server saw it. */
interface Ctx {
  conn: ServerConn;
  id: number;
  headers: HeaderField[];
  body: Uint8Array;
  /** Requests seen by the server before this one (all connections). */
  index: number;
}

class ServerConn {
  readonly frames: Received[] = [];
  open = 0;
  maxOpen = 0;
  constructor(readonly conn: Deno.Conn, readonly index: number) {}

  async send(...parts: Uint8Array[]): Promise<void> {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += await this.conn.write(p.subarray(off));
    }
  }

  headers(id: number, fields: HeaderField[], endStream: boolean): Promise<void> {
    const block = encodeHeaderBlock(fields);
    const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
    if (endStream) this.open--;
    return this.send(frame(FrameType.HEADERS, flags, id, block));
  }

  data(id: number, body: Uint8Array, endStream: boolean): Promise<void> {
    if (endStream) this.open--;
    return this.send(frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, id, body));
  }

  async respond(id: number, status: number, body: string): Promise<void> {
    const bytes = new TextEncoder().encode(body);
    await this.headers(
      id,
      [[":status", String(status)], ["content-length", String(bytes.length)]],
      false,
    );
    await this.data(id, bytes, true);
  }

  rst(id: number, code: number): Promise<void> {
    this.open--;
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, code);
    return this.send(frame(FrameType.RST_STREAM, 0, id, p));
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }
}

interface ServerOptions {
  settings?: [number, number][];
  /** Grant flow-control credit back for each DATA frame (default true). */
  windowUpdates?: boolean;
  /** Called once per complete request (END_STREAM). */
  handler: (ctx: Ctx) => void | Promise<void>;
  /** Called once per connection after the preface, before any frame is read. */
  onConnect?: (conn: ServerConn) => void | Promise<void>;
}

/** A scripted HTTP/2 server over Deno.listen. */
function h2Server(options: ServerOptions) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: ServerConn[] = [];
  let requests = 0;
  const tasks: Promise<void>[] = [];
  const serveConn = async (raw: Deno.Conn, index: number) => {
    const sc = new ServerConn(raw, index);
    conns.push(sc);
    try {
      const reader = new FrameReader(16_384);
      // Preface, then frames.
      let have = 0;
      const pre = new Uint8Array(24);
      while (have < 24) {
        const n = await raw.read(pre.subarray(have));
        if (n === null) return;
        have += n;
      }
      assert.deepEqual(pre, PREFACE);
      await sc.send(encodeSettings(options.settings ?? []));
      await options.onConnect?.(sc);
      const decoder = new HpackDecoder();
      const open = new Map<number, { headers: HeaderField[]; chunks: Uint8Array[] }>();
      for (let reads = 0; reads < 100_000; reads++) {
        const n = await raw.read(reader.space());
        if (n === null) return;
        reader.commit(n);
        while (reader.next()) {
          const payload = reader.buffer.slice(reader.payloadStart, reader.payloadEnd);
          const f = {
            type: reader.type,
            flags: reader.flags,
            id: reader.streamId,
            length: reader.length,
            payload,
          };
          sc.frames.push(f);
          if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK)) {
            await sc.send(encodeSettings([], true));
          }
          if (f.type === FrameType.HEADERS) {
            open.set(f.id, { headers: decoder.decode(payload), chunks: [] });
            sc.open++;
            sc.maxOpen = Math.max(sc.maxOpen, sc.open);
          }
          if (f.type === FrameType.DATA) {
            open.get(f.id)?.chunks.push(payload);
            if (options.windowUpdates !== false && f.length > 0) {
              await sc.send(encodeWindowUpdate(0, f.length), encodeWindowUpdate(f.id, f.length));
            }
          }
          if (
            (f.type === FrameType.HEADERS || f.type === FrameType.DATA) && f.flags & Flag.END_STREAM
          ) {
            const req = open.get(f.id)!;
            open.delete(f.id);
            const body = new Uint8Array(req.chunks.reduce((s, c) => s + c.length, 0));
            let at = 0;
            for (const c of req.chunks) {
              body.set(c, at);
              at += c.length;
            }
            const ctx = { conn: sc, id: f.id, headers: req.headers, body, index: requests++ };
            // Not awaited: a handler may hold a stream open while others proceed.
            tasks.push(Promise.resolve(options.handler(ctx)).catch(() => {}));
          }
        }
      }
    } catch {
      // The client closed the connection.
    } finally {
      sc.close();
    }
  };
  const accepting = (async () => {
    let i = 0;
    for await (const raw of listener) tasks.push(serveConn(raw, i++));
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    conns,
    get requests() {
      return requests;
    },
    async close() {
      listener.close();
      for (const c of conns) c.close();
      await accepting;
      await Promise.allSettled(tasks);
    },
  };
}

function get(url: string, headers: [string, string][] = []): HttpRequest {
  return { url, method: "GET", headers, body: null };
}

function client(extra: Partial<ClientOptions> = {}) {
  return createFastH2Client({ concurrency: 10, timeoutMs: 2_000, ...extra });
}

function errors(outcomes: Outcome[]): string[] {
  return outcomes.map((o) => o.error);
}

Deno.test("FastH2Client.send() multiplexes requests on one connection with encoded headers", async () => {
  const server = h2Server({ handler: (c) => c.conn.respond(c.id, 200, `hello ${c.id}`) });
  const c = client({ connections: 1, streams: 10 });
  try {
    const outcomes = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => c.send(get(`${server.url}p?i=${i}`, [["X-Test", "yes"]])),
      ),
    );
    for (const o of outcomes) {
      assert.equal(o.status, 200);
      assert.equal(o.error, "");
      assert.ok(o.ttfbMs !== null && o.ttfbMs >= 0 && o.endMs >= o.startedMs);
    }
    assert.equal(server.conns.length, 1);
    const sc = server.conns[0]!;
    const ids = sc.frames.filter((f) => f.type === FrameType.HEADERS).map((f) => f.id);
    assert.deepEqual(ids, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    const bodyBytes = outcomes.reduce((s, o) => s + o.bytes, 0);
    assert.equal(bodyBytes, ids.reduce((s, id) => s + `hello ${id}`.length, 0));
    // Our SETTINGS: push off, a large stream window; and a connection WINDOW_UPDATE.
    const settings = sc.frames.find((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK))!;
    const view = new DataView(settings.payload.buffer);
    const pairs = new Map<number, number>();
    for (let i = 0; i < settings.length; i += 6) {
      pairs.set(view.getUint16(i), view.getUint32(i + 2));
    }
    assert.equal(pairs.get(Setting.ENABLE_PUSH), 0);
    assert.equal(pairs.get(Setting.INITIAL_WINDOW_SIZE), 16 * 1024 * 1024);
    assert.ok(sc.frames.some((f) => f.type === FrameType.WINDOW_UPDATE && f.id === 0));
    assert.ok(sc.frames.some((f) => f.type === FrameType.SETTINGS && f.flags & Flag.ACK));
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() sends pseudo-headers, lowercase names and :authority from Host", async () => {
  const seen: HeaderField[][] = [];
  const server = h2Server({
    handler: (c) => {
      seen.push(c.headers);
      return c.conn.respond(c.id, 204, "");
    },
  });
  const c = client();
  try {
    const o = await c.send(
      get(`${server.url}a/b?q=1`, [["X-One", "1"], ["Connection", "keep-alive"], [
        "Host",
        "example.test",
      ]]),
    );
    assert.equal(o.status, 204);
    assert.deepEqual(seen[0], [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "example.test"],
      [":path", "/a/b?q=1"],
      ["x-one", "1"],
    ]);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() records GOAWAY streams as reset and never re-sends them", async () => {
  let sent = false;
  const server = h2Server({
    handler: async (c) => {
      if (c.conn.index > 0) return c.conn.respond(c.id, 200, "new connection");
      if (c.index < 2) return; // Hold streams 1 and 3 until the third arrives.
      if (sent) return;
      sent = true;
      await c.conn.send(encodeGoaway(1, ErrorCode.NO_ERROR));
      await c.conn.respond(1, 200, "first");
    },
  });
  const c = client({ connections: 1, streams: 10 });
  try {
    const outcomes = await Promise.all([1, 2, 3].map(() => c.send(get(server.url))));
    assert.deepEqual(errors(outcomes), ["", "reset", "reset"]);
    assert.equal(outcomes[0]!.status, 200);
    assert.equal(outcomes[1]!.status, 0);
    // Nothing was re-sent on the old connection, and a later request opens a new one.
    assert.equal(server.requests, 3);
    const after = await c.send(get(server.url));
    assert.equal(after.error, "");
    assert.equal(server.conns.length, 2);
    assert.equal(server.requests, 4);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() records RST_STREAM as reset and keeps the connection", async () => {
  const server = h2Server({
    handler: (c) =>
      c.index === 0 ? c.conn.rst(c.id, ErrorCode.INTERNAL_ERROR) : c.conn.respond(c.id, 200, "ok"),
  });
  const c = client({ connections: 1 });
  try {
    const first = await c.send(get(server.url));
    assert.equal(first.error, "reset");
    const second = await c.send(get(server.url));
    assert.equal(second.error, "");
    assert.equal(server.conns.length, 1);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() queues requests when SETTINGS allows one stream", async () => {
  const server = h2Server({
    settings: [[Setting.MAX_CONCURRENT_STREAMS, 1]],
    handler: async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      await c.conn.respond(c.id, 200, "one at a time");
    },
  });
  const c = client({ connections: 1, streams: 10 });
  try {
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => c.send(get(server.url))));
    assert.deepEqual(errors(outcomes), ["", "", "", "", "", ""]);
    assert.equal(server.conns.length, 1);
    assert.equal(server.conns[0]!.maxOpen, 1);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() records a flow-control stall past the timeout as timeout", async () => {
  const server = h2Server({
    settings: [[Setting.INITIAL_WINDOW_SIZE, 0]],
    windowUpdates: false,
    handler: (c) => c.conn.respond(c.id, 200, "only for the GET"),
  });
  const c = client({ timeoutMs: 300 });
  try {
    // A GET first, so the server's SETTINGS (a zero stream window) are in force.
    assert.equal((await c.send(get(server.url))).error, "");
    const o = await c.send({
      url: server.url,
      method: "POST",
      headers: [],
      body: new Uint8Array(100),
    });
    assert.equal(o.error, "timeout");
    assert.ok(o.endMs - o.startedMs >= 290);
    const sc = server.conns[0]!;
    assert.ok(sc.frames.some((f) => f.type === FrameType.HEADERS));
    assert.ok(!sc.frames.some((f) => f.type === FrameType.DATA), "no DATA past a zero window");
    // The timed-out stream is cancelled.
    for (let i = 0; i < 50 && !sc.frames.some((f) => f.type === FrameType.RST_STREAM); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const rst = sc.frames.find((f) => f.type === FrameType.RST_STREAM)!;
    assert.equal(new DataView(rst.payload.buffer).getUint32(0), ErrorCode.CANCEL);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() records a response stalled after its headers as timeout", async () => {
  const server = h2Server({ handler: (c) => c.conn.headers(c.id, [[":status", "200"]], false) });
  const c = client({ timeoutMs: 200 });
  try {
    const o = await c.send(get(server.url));
    assert.equal(o.error, "timeout");
    assert.equal(o.status, 200);
    assert.ok(o.ttfbMs !== null);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() splits a request body by frame size and window", async () => {
  const bodies: Uint8Array[] = [];
  const server = h2Server({
    handler: (c) => {
      bodies.push(c.body);
      return c.conn.respond(c.id, 200, String(c.body.length));
    },
  });
  const c = client();
  try {
    const body = new Uint8Array(200_000);
    for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
    const o = await c.send({ url: server.url, method: "POST", headers: [], body });
    assert.equal(o.error, "");
    assert.deepEqual(bodies[0], body);
    const data = server.conns[0]!.frames.filter((f) => f.type === FrameType.DATA);
    assert.ok(data.every((f) => f.length <= 16_384));
    // 200,000 octets exceed the default 65,535 window: the body waited for WINDOW_UPDATE.
    assert.ok(data.length >= 13);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() reads CONTINUATION, padding and trailers", async () => {
  const server = h2Server({
    handler: async (c) => {
      const block = encodeHeaderBlock([[":status", "201"], ["x-long", "v".repeat(40_000)]]);
      await c.conn.send(
        frame(FrameType.HEADERS, 0, c.id, block.subarray(0, 10_000)),
        frame(FrameType.CONTINUATION, 0, c.id, block.subarray(10_000, 20_000)),
        frame(FrameType.CONTINUATION, Flag.END_HEADERS, c.id, block.subarray(20_000)),
        // Padded DATA: 3 octets of data, 4 of padding.
        frame(FrameType.DATA, Flag.PADDED, c.id, Uint8Array.of(4, 97, 98, 99, 0, 0, 0, 0)),
        frame(FrameType.PING, 0, 0, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
      );
      await c.conn.headers(c.id, [["grpc-status", "0"]], true);
    },
  });
  const c = client();
  try {
    const o = await c.send(get(server.url));
    assert.equal(o.error, "");
    assert.equal(o.status, 201);
    assert.equal(o.bytes, 3);
    // The PING was answered with the same payload.
    const sc = server.conns[0]!;
    for (let i = 0; i < 50 && !sc.frames.some((f) => f.type === FrameType.PING); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const ping = sc.frames.find((f) => f.type === FrameType.PING)!;
    assert.equal(ping.flags, Flag.ACK);
    assert.deepEqual([...ping.payload], [1, 2, 3, 4, 5, 6, 7, 8]);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() records an oversized header block as protocol and sends GOAWAY", async () => {
  const server = h2Server({
    handler: async (c) => {
      await c.conn.send(frame(FrameType.HEADERS, 0, c.id, encodeHeaderBlock([[":status", "200"]])));
      const chunk = new Uint8Array(16_000);
      for (let i = 0; i < 20; i++) await c.conn.send(frame(FrameType.CONTINUATION, 0, c.id, chunk));
    },
  });
  const c = client();
  try {
    const o = await c.send(get(server.url));
    assert.equal(o.error, "protocol");
    const sc = server.conns[0]!;
    for (let i = 0; i < 50 && !sc.frames.some((f) => f.type === FrameType.GOAWAY); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const goaway = sc.frames.find((f) => f.type === FrameType.GOAWAY)!;
    assert.equal(
      parseGoaway(goaway.payload, 0, goaway.length).errorCode,
      ErrorCode.ENHANCE_YOUR_CALM,
    );
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() records protocol garbage as protocol", async (t) => {
  const cases: [string, (c: Ctx) => Promise<void>][] = [
    ["DATA on stream 0", (c) => c.conn.send(frame(FrameType.DATA, 0, 0, new Uint8Array(1)))],
    [
      "a frame above 16 KiB",
      (c) => c.conn.send(frame(FrameType.DATA, 0, c.id, new Uint8Array(20_000))),
    ],
    [
      "a bad HPACK index",
      (c) =>
        c.conn.send(frame(FrameType.HEADERS, Flag.END_HEADERS, c.id, Uint8Array.of(0xff, 0x7f))),
    ],
    [
      "PUSH_PROMISE",
      (c) =>
        c.conn.send(
          frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, c.id, Uint8Array.of(0, 0, 0, 2, 0x88)),
        ),
    ],
    ["a response without :status", (c) => c.conn.headers(c.id, [["x-no-status", "1"]], true)],
  ];
  for (const [what, misbehave] of cases) {
    await t.step(what, async () => {
      const server = h2Server({ handler: misbehave });
      const c = client();
      try {
        const o = await c.send(get(server.url));
        assert.equal(o.error, "protocol");
        assert.equal(o.status, 0);
      } finally {
        await c.close();
        await server.close();
      }
    });
  }
  await t.step("an HTTP/1.1 server", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const served = (async () => {
      for await (const conn of listener) {
        await conn.read(new Uint8Array(1024)).catch(() => null);
        await conn.write(
          new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
        ).catch(() => 0);
        conn.close();
      }
    })().catch(() => {});
    const c = client();
    try {
      const o = await c.send(get(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`));
      assert.equal(o.error, "protocol");
    } finally {
      await c.close();
      listener.close();
      await served;
    }
  });
});

Deno.test("FastH2Client.send() records a refused connection and a closed client", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const c = client();
  const outcomes = await Promise.all([1, 2, 3].map(() => c.send(get(`http://127.0.0.1:${port}/`))));
  assert.deepEqual(errors(outcomes), ["connect_refused", "connect_refused", "connect_refused"]);
  await c.close();
  assert.equal((await c.send(get(`http://127.0.0.1:${port}/`))).error, "aborted");
  assert.equal((await c.send(get("ftp://127.0.0.1/"))).error, "aborted");
  const fresh = client();
  assert.equal((await fresh.send(get("ftp://127.0.0.1/"))).error, "other");
  await fresh.close();
});

Deno.test("FastH2Client.send() works against Deno.serve over h2c prior knowledge", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const body = new Uint8Array(await req.arrayBuffer());
      return new Response(`${req.method} ${new URL(req.url).pathname} ${body.length}`);
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/x`;
  const c = client({ concurrency: 50, connections: 2, streams: 25 });
  try {
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => c.send(get(url))));
    assert.ok(
      outcomes.every((o) => o.error === "" && o.status === 200 && o.bytes === "GET /x 0".length),
    );
    const big = await c.send({ url, method: "POST", headers: [], body: new Uint8Array(1_000_000) });
    assert.equal(big.error, "");
    assert.equal(big.bytes, "POST /x 1000000".length);
  } finally {
    await c.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("FastH2Client.send() negotiates h2 over TLS ALPN with Deno.serve", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY, signal: ac.signal, onListen() {} },
    () => new Response("secure"),
  );
  const c = client({ caCerts: [CA!] });
  try {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => c.send(get(`https://localhost:${server.addr.port}/`))),
    );
    assert.ok(outcomes.every((o) => o.error === "" && o.status === 200 && o.bytes === 6));
  } finally {
    await c.close();
    ac.abort();
    await server.finished;
  }
});

Deno.test("FastH2Client.send() fails as protocol when TLS does not negotiate h2", async () => {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: CERT!, key: KEY! });
  const served = (async () => {
    for await (const conn of listener) {
      await conn.handshake().catch(() => {});
      await conn.read(new Uint8Array(1024)).catch(() => null);
      conn.close();
    }
  })().catch(() => {});
  const c = client({ caCerts: [CA!] });
  const originalError = console.error;
  const printed: string[] = [];
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    const o = await c.send(get(`https://localhost:${(listener.addr as Deno.NetAddr).port}/`));
    assert.equal(o.error, "protocol");
    assert.equal(printed.length, 1);
    assert.match(printed[0]!, /did not negotiate HTTP\/2 over TLS ALPN/);
  } finally {
    console.error = originalError;
    await c.close();
    listener.close();
    await served;
  }
});

/**
 * A server that sends its SETTINGS, then runs `script` on the raw connection
 * and never reads a byte. Resolves `ended` with how the script ended.
 */
function deafServer(script: (conn: Deno.Conn) => Promise<string>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let conn: Deno.Conn | null = null;
  const ended = (async () => {
    conn = await listener.accept();
    const settings = encodeSettings([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]);
    await conn.write(settings);
    await conn.write(encodeWindowUpdate(0, 2 ** 31 - 1 - 65_535));
    return await script(conn);
  })().catch((err) => `accept failed: ${err}`);
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    ended,
    async close() {
      listener.close();
      try {
        (conn as Deno.Conn | null)?.close();
      } catch {
        // Closed already.
      }
      await ended;
    },
  };
}

/** Writes `bytes` until the client closes the connection, at most `maxMs` and `maxWrites`. */
async function writeUntilClosed(
  conn: Deno.Conn,
  bytes: Uint8Array,
  maxMs: number,
  maxWrites: number,
  pauseMs = 0,
): Promise<string> {
  const until = Date.now() + maxMs;
  for (let i = 0; i < maxWrites && Date.now() < until; i++) {
    try {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    } catch {
      return "closed by the client";
    }
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return "still open at the bound";
}

Deno.test("FastH2Client.send() closes a connection that floods PINGs and never reads, as protocol", async () => {
  // 1,000 PINGs a write, at most 10 s or 5,000 writes: an unbounded client queues 5M ACKs (85 MB).
  const pings = new Uint8Array(17 * 1000);
  for (let i = 0; i < 1000; i++) writeFrameHeader(pings, i * 17, 8, FrameType.PING, 0, 0);
  const server = deafServer((conn) => writeUntilClosed(conn, pings, 10_000, 5_000));
  const c = client({ timeoutMs: 8_000 });
  try {
    const o = await c.send(get(server.url));
    assert.equal(o.error, "protocol", "a flood of control frames is a protocol error");
    assert.ok(o.endMs - o.startedMs < 8_000, "it ends before the timeout");
    assert.equal(await server.ended, "closed by the client");
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() closes a connection whose write makes no progress for a timeout", async () => {
  // The server grants every window and reads nothing: a 32 MiB body fills the socket buffers.
  const ping = frame(FrameType.PING, 0, 0, new Uint8Array(8));
  const server = deafServer((conn) => writeUntilClosed(conn, ping, 10_000, 200, 50));
  const c = client({ timeoutMs: 800 });
  try {
    const o = await c.send({
      url: server.url,
      method: "POST",
      headers: [],
      body: new Uint8Array(32 * 1024 * 1024),
    });
    assert.equal(o.error, "timeout");
    // Without the check the connection stays open (holding its queue) until the client closes.
    assert.equal(await server.ended, "closed by the client");
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("FastH2Client.send() ends a header block sent in a flood of empty CONTINUATION frames", async () => {
  const server = h2Server({
    handler: async (c) => {
      await c.conn.send(frame(FrameType.HEADERS, 0, c.id, encodeHeaderBlock([[":status", "200"]])));
      // 100 empty frames a write, at most 2,000 writes: never reaches the 256 KiB byte cap.
      const batch = new Uint8Array(9 * 100);
      for (let i = 0; i < 100; i++) {
        writeFrameHeader(batch, i * 9, 0, FrameType.CONTINUATION, 0, c.id);
      }
      for (let i = 0; i < 2_000; i++) await c.conn.send(batch);
    },
  });
  const c = client({ timeoutMs: 5_000 });
  try {
    const o = await c.send(get(server.url));
    assert.equal(o.error, "protocol");
    assert.ok(o.endMs - o.startedMs < 5_000, "it ends before the timeout");
    const sc = server.conns[0]!;
    for (let i = 0; i < 100 && !sc.frames.some((f) => f.type === FrameType.GOAWAY); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const goaway = sc.frames.find((f) => f.type === FrameType.GOAWAY);
    assert.ok(goaway !== undefined, "GOAWAY sent");
    assert.equal(
      parseGoaway(goaway.payload, 0, goaway.length).errorCode,
      ErrorCode.ENHANCE_YOUR_CALM,
    );
  } finally {
    await c.close();
    await server.close();
  }
});
