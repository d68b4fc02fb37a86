/**
 * A hostile HTTP/2 server for memory checks (issue 22, H1): it sends its
 * SETTINGS, then PING frames in a loop, and never reads a byte. A client that
 * queues every PING ACK grows without bound; a bounded one gives up.
 *
 *   deno run --allow-net=127.0.0.2 bench/ping_flood_server.ts 8443 30s
 *   /usr/bin/time -f "%M KB %e s" deno task bench http://127.0.0.2:8443/ --client fast-h2 -n 1 --timeout 20s
 *
 * Bounded: it stops after the given duration (default 30 s) and at most 50
 * million PINGs per connection, and at a client's close.
 *
 * @module
 */
import { encodeSettings, FrameType, writeFrameHeader } from "../lib/client/_h2_frames.ts";

const port = Number(Deno.args[0] ?? 8443);
const seconds = Number((Deno.args[1] ?? "30s").replace(/s$/, ""));
const until = Date.now() + seconds * 1000;
const PER_WRITE = 1000;
const pings = new Uint8Array(17 * PER_WRITE);
for (let i = 0; i < PER_WRITE; i++) writeFrameHeader(pings, i * 17, 8, FrameType.PING, 0, 0);

async function flood(conn: Deno.Conn): Promise<void> {
  try {
    await conn.write(encodeSettings([]));
    for (let i = 0; i < 50_000 && Date.now() < until; i++) {
      let off = 0;
      while (off < pings.length) off += await conn.write(pings.subarray(off));
    }
  } catch {
    // The client closed the connection.
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.2", port });
setTimeout(() => listener.close(), seconds * 1000);
console.error(`ping flood on 127.0.0.2:${port} for ${seconds} s`);
try {
  for await (const conn of listener) void flood(conn);
} catch {
  // Closed at the end.
}
