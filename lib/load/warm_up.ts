/**
 * Warming the `fast` engine and the record pipeline before a measurement,
 * against a private loopback listener of its own, never the target.
 *
 * A fresh Deno process runs the engine's code cold: the first connect
 * initializes the runtime's socket layer (about 50 ms here) and the request
 * path runs unoptimized for its first few hundred requests. Measured against
 * nginx on loopback (true latency about 0.1 ms), a cold `bench -n 200 -c 20`
 * recorded its first 20 requests at 9–12 ms and the next ones at about 3 ms:
 * the tool's own error, in the P95 of a short run. Sending a thousand
 * requests to a listener in this process first, before the clock starts,
 * takes most of that cost out of the numbers without sending anything extra
 * to the server under test (four alternating pairs of such runs: P50 1.0–1.7
 * against 1.9–3.5 ms, P95 3.3–5.7 against 8.9–10.3 ms). The first requests
 * still pay for their new connections, as they should. The warm-up ends with
 * a 50 ms pause: without it, the closing of its own sockets landed on the
 * first measured requests and made P95 worse, not better.
 *
 * It needs `--allow-net` for 127.0.0.1 (every task grants it); without it,
 * or if anything fails, it does nothing.
 *
 * @module
 */
import { createFastClient } from "../client/fast.ts";
import type { HttpRequest } from "../client/types.ts";
import { collect } from "../records/collect.ts";
import { CsvWriter } from "../records/csv_writer.ts";
import { SummaryBuilder } from "../stats/summary.ts";
import { runClosed } from "./runner.ts";

const RESPONSE = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
);

/** Answers every request (ended by CRLFCRLF, no body) on `conn` with {@linkcode RESPONSE}. */
async function answer(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
  // Bytes of "\r\n\r\n" matched so far, carried across reads.
  let matched = 0;
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      let requests = 0;
      for (let i = 0; i < n; i++) {
        const b = buf[i];
        if (b === (matched % 2 === 0 ? 13 : 10)) matched++;
        else matched = b === 13 ? 1 : 0;
        if (matched === 4) {
          requests++;
          matched = 0;
        }
      }
      for (let k = 0; k < requests; k++) {
        let w = 0;
        while (w < RESPONSE.length) w += await conn.write(RESPONSE.subarray(w));
      }
    }
  } catch {
    // The warm-up client went away.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * Runs `requests` requests, `concurrency` at a time, through a throwaway
 * `fast` client and the closed-loop runner into a CSV writer that discards
 * its bytes and a summary, against a loopback listener of this process;
 * resolves when done (or at once without permission for 127.0.0.1). Never
 * throws.
 *
 * @example
 * ```ts ignore
 * import { warmUpFast } from "./warm_up.ts";
 * await warmUpFast(); // then start the measured run
 * ```
 */
export async function warmUpFast(requests = 1000, concurrency = 20): Promise<void> {
  let listener: Deno.Listener;
  try {
    const allowed = await Deno.permissions.query({ name: "net", host: "127.0.0.1" });
    if (allowed.state !== "granted") return;
    listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  } catch {
    return; // A warm-up is an optimisation: the run goes on without it.
  }
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) served.push(answer(conn));
  })().catch(() => {});
  const client = createFastClient({ concurrency, timeoutMs: 2_000 });
  const req: HttpRequest = {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    method: "GET",
    headers: [],
    body: null,
  };
  const csv = CsvWriter.fromSink("(warm-up)", {
    writeSync: (p) => p.length,
    truncateSync: () => {},
    close: () => {},
  });
  try {
    await collect(runClosed({ client, requestFor: () => req, concurrency, requests }), {
      csv,
      builder: new SummaryBuilder(requests),
    });
  } catch {
    // As above: without a warm-up the run is only colder.
  } finally {
    await csv.close();
    await client.close();
    listener.close();
    await accepting;
    // Each server loop ends when the client's connections close.
    await Promise.all(served);
  }
  // Let the runtime finish what the warm-up left (closing sockets, background compiles).
  await new Promise((resolve) => setTimeout(resolve, 50));
}
