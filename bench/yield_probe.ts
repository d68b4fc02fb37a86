/**
 * How the pacer should wait its last stretch: for each way of yielding to
 * the event loop, how often it wakes and how many loopback round trips
 * other code gets done meanwhile (1 s each, an echo server in-process).
 * Shows why `lib/load/_wake.ts` yields through a socket pair (or a tiny
 * async digest) and not through `MessageChannel` or `setImmediate`.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/yield_probe.ts
 * ```
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { createYielder } from "../lib/load/_wake.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const accepting = (async () => {
  for await (const c of listener) {
    (async () => {
      const b = new Uint8Array(64);
      try {
        while ((await c.read(b)) !== null) await c.write(b.subarray(0, 1));
      } catch { /* closed */ }
    })();
  }
})();
const conn = await Deno.connect({
  hostname: "127.0.0.1",
  port: (listener.addr as Deno.NetAddr).port,
});
conn.setNoDelay(true);

const channel = new MessageChannel();
let wake: (() => void) | null = null;
channel.port1.onmessage = () => {
  const w = wake;
  wake = null;
  w?.();
};
const socket = await createYielder();
const tiny = new Uint8Array(1);
const ways: [string, () => Promise<unknown>][] = [
  ["nothing (round trips alone)", () => new Promise((r) => setTimeout(r, 50))],
  ["MessageChannel", () => new Promise<void>((r) => (wake = r, channel.port2.postMessage(null)))],
  ["setImmediate", () => new Promise((r) => setImmediate(r))],
  ["setTimeout(0)", () => new Promise((r) => setTimeout(r, 0))],
  ["socket pair (_wake.ts)", () => socket.yield()],
  ["crypto.subtle.digest", () => crypto.subtle.digest("SHA-1", tiny)],
];
for (const [name, yieldOnce] of ways) {
  let trips = 0;
  let stop = false;
  const traffic = (async () => {
    const b = new Uint8Array(8);
    while (!stop) {
      await conn.write(b.subarray(0, 1));
      await conn.read(b);
      trips++;
    }
  })();
  const gaps: number[] = [];
  const t0 = performance.now();
  let last = t0;
  while (performance.now() - t0 < 1000) {
    await yieldOnce();
    const t = performance.now();
    gaps.push(t - last);
    last = t;
  }
  stop = true;
  await traffic;
  gaps.sort((a, b) => a - b);
  const p = (q: number) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))]!;
  console.log(
    `${name.padEnd(28)} wake-ups ${String(gaps.length).padStart(7)}/s, gap p50 ${
      p(0.5).toFixed(4)
    } ms, p99 ${p(0.99).toFixed(3)} ms; round trips meanwhile ${trips}/s`,
  );
}
socket.close();
channel.port1.close();
conn.close();
listener.close();
await accepting.catch(() => {});
