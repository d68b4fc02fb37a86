/**
 * The floor of a Deno HTTP/1.1 client: N keep-alive connections, each
 * writing one fixed GET and reading until the response ends (headers, then
 * `Content-Length` body bytes), then the next, and nothing else: no
 * records, no clock per request, no CSV. What `tailgate bench --client fast`
 * costs above this, in CPU per request, is tailgate's own JavaScript.
 * bench/peers.ts runs it beside wrk and the CLI and reads its JSON line.
 *
 *   deno run --allow-net=127.0.0.1 bench/bare_loop.ts URL CONNECTIONS MS [MAX_REQUESTS]
 *
 * Prints `{"requests":N,"rps":R,"errors":E}`.
 *
 * Two probes of V8's heap, off by default (docs/performance.md, "Third
 * pass"): `--gc-at MS` forces a full GC that long after the start (run with
 * `--v8-flags=--expose-gc,--trace-gc-nvp`), and `--keep BYTES/EVERY_MS` keeps
 * a new `Uint8Array` of BYTES every EVERY_MS (external memory growing as a
 * latency store that grows does).
 *
 * @module
 */

const flag = (name: string): string | undefined => {
  const i = Deno.args.indexOf(name);
  return i < 0 ? undefined : Deno.args[i + 1];
};
const [url, connections, ms, max] = Deno.args.filter((a, i, all) =>
  !a.startsWith("--") && !all[i - 1]?.startsWith("--")
);
if (url === undefined || connections === undefined || ms === undefined) {
  console.error("usage: bare_loop.ts URL CONNECTIONS MS [MAX_REQUESTS]");
  Deno.exit(2);
}
const u = new URL(url);
const conns = Number(connections);
const limit = max === undefined ? Infinity : Number(max);
const req = new TextEncoder().encode(
  `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`,
);
let requests = 0;
let errors = 0;
let stop = false;

/** Where the header block ends (after CRLFCRLF) in buf[0, n), or -1. */
function headEnd(buf: Uint8Array, n: number): number {
  for (let i = 3; i < n; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** The Content-Length value in the header block, 0 when absent. */
function contentLength(buf: Uint8Array, end: number): number {
  // "content-length:" case-insensitively, then digits.
  const name = "content-length:";
  outer: for (let i = 0; i + name.length < end; i++) {
    for (let j = 0; j < name.length; j++) {
      if ((buf[i + j]! | 0x20) !== name.charCodeAt(j)) continue outer;
    }
    let k = i + name.length;
    while (buf[k] === 32) k++;
    let v = 0;
    while (buf[k]! >= 48 && buf[k]! <= 57) v = v * 10 + buf[k++]! - 48;
    return v;
  }
  return 0;
}

async function loop(): Promise<void> {
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port || 80) });
  conn.setNoDelay(true);
  const buf = new Uint8Array(64 * 1024);
  try {
    while (!stop && requests < limit) {
      requests++;
      await conn.write(req);
      let have = 0;
      let need = -1;
      while (need < 0 || have < need) {
        // Until the head is parsed, bytes accumulate; after, the body only needs counting.
        const n = await conn.read(need < 0 ? buf.subarray(have) : buf);
        if (n === null) throw new Error("closed");
        have += n;
        if (need < 0) {
          const end = headEnd(buf, have);
          if (end >= 0) need = end + contentLength(buf, end);
        }
      }
    }
  } catch {
    errors++;
  } finally {
    conn.close();
  }
}

const gcAt = flag("--gc-at");
const gcTimer = gcAt === undefined ? undefined : setTimeout(() => {
  (globalThis as unknown as { gc?: () => void }).gc?.();
}, Number(gcAt));
const [keepBytes, keepEvery] = (flag("--keep") ?? "").split("/").map(Number);
const kept: Uint8Array[] = [];
const keepTimer = keepBytes && keepEvery
  ? setInterval(() => kept.push(new Uint8Array(keepBytes)), keepEvery)
  : undefined;
const t0 = performance.now();
const timer = setTimeout(() => stop = true, Number(ms));
await Promise.all(Array.from({ length: conns }, loop));
clearTimeout(timer);
clearTimeout(gcTimer);
clearInterval(keepTimer);
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ requests, rps: requests / s, errors }));
