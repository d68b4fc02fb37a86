// The floor for the fetch profiles: 20 loops of fetch + arrayBuffer(), nothing else.
// deno run --allow-net=127.0.0.1 bench/bare_fetch.ts URL N C  → prints JSON latencies summary
const [url, n = "2000", c = "20"] = Deno.args;
const lat: number[] = [];
let next = 0;
const loop = async () => {
  while (next++ < Number(n)) {
    const t = performance.now();
    await (await fetch(url!)).arrayBuffer();
    lat.push(performance.now() - t);
  }
};
await Promise.all(Array.from({ length: Number(c) }, loop));
lat.sort((a, b) => a - b);
const p = (q: number) => lat[Math.max(0, Math.ceil((q / 100) * lat.length) - 1)];
console.log(JSON.stringify({ count: lat.length, p50_ms: p(50), p99_ms: p(99), p999_ms: p(99.9) }));
