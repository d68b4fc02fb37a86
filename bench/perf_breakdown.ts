/**
 * Where a client's CPU per request goes, from a Linux `perf record` of the
 * process (Deno 2.9's `--cpu-prof` gives nothing usable for this). Run the
 * client under perf with V8's perf map, then give this script the report
 * and the requests the window covered:
 *
 *   perf record -F 999 -g -o /tmp/cli.data deno run -A \
 *     --v8-flags=--invocation-count-for-maglev=100,--invocation-count-for-turbofan=500,--perf-basic-prof \
 *     main.ts bench http://127.0.0.1:PORT/ --client fast -c 20 -d 8s --quiet --out /tmp/x.csv
 *   perf report -i /tmp/cli.data --time START,END --no-children --sort dso,sym --stdio -g none \
 *     > /tmp/cli.txt
 *   deno run --allow-read bench/perf_breakdown.ts /tmp/cli.txt REQUESTS_IN_WINDOW
 *
 * `--time` keeps the steady state (skip the start-up and warm-up seconds;
 * `perf script -F time` gives the sample times). Samples are bucketed as
 * kernel, Deno's native code (the release binary is stripped: V8's runtime,
 * GC and builtins, the ops and tokio are one bucket), libc, and JavaScript
 * by source folder: lib/client (engine and parser), lib/load (runner),
 * lib/record.ts + lib/records (CSV), lib/stats (summary), Deno's own `ext:`
 * JavaScript, and anything else (bench/bare_loop.ts). Prints µs per request
 * per bucket.
 *
 * V8's builtins (promises, microtasks, async functions, write barriers) run
 * from a copy of the binary's embedded blob, so perf files their samples
 * under `deno` at file offsets. Give the perf map V8 wrote
 * (`/tmp/perf-PID.map`, its `Builtin:` lines) and the blob's file offset (the
 * `@ 0x…` of the second `r-xp …/deno` mapping in
 * `perf script --show-mmap-events`), and the native bucket is split into
 * V8 builtins and the rest (C++ and Rust: V8's runtime and GC, the ops,
 * tokio), with the top builtins listed:
 *
 *   deno run --allow-read bench/perf_breakdown.ts /tmp/cli.txt REQUESTS \
 *     --builtins /tmp/perf-PID.map --blob-offset 0x35cf000
 *
 * @module
 */

const [file, requests] = Deno.args;
const flag = (name: string) => {
  const i = Deno.args.indexOf(name);
  return i < 0 ? undefined : Deno.args[i + 1];
};
/** Builtins by offset from the blob's start: [offset, size, name], sorted. */
const builtins: [number, number, string][] = [];
const mapFile = flag("--builtins");
const blobOffset = Number(flag("--blob-offset") ?? NaN);
if (mapFile !== undefined) {
  let base = -1;
  for (const line of (await Deno.readTextFile(mapFile)).split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) Builtin:(.+)$/.exec(line);
    if (m === null) continue;
    const at = parseInt(m[1]!, 16);
    if (base < 0) base = at; // the blob's first builtin opens it
    builtins.push([at - base, parseInt(m[2]!, 16), m[3]!]);
  }
  builtins.sort((a, b) => a[0] - b[0]);
}
const blobEnd = builtins.length > 0 ? builtins[builtins.length - 1]![0] + 0x10000 : 0;

/** The builtin at a `deno` file offset, or null when it is not in the blob. */
function builtinAt(sym: string): string | null {
  const m = /^0x([0-9a-f]+)/.exec(sym);
  if (m === null || builtins.length === 0 || !Number.isFinite(blobOffset)) return null;
  const off = parseInt(m[1]!, 16) - blobOffset;
  if (off < 0 || off >= blobEnd) return null;
  let lo = 0;
  let hi = builtins.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (builtins[mid]![0] <= off) lo = mid;
    else hi = mid - 1;
  }
  const [at, size, name] = builtins[lo]!;
  return off < at + size ? name : "(between builtins)";
}
const perBuiltin = new Map<string, number>();
if (file === undefined || requests === undefined) {
  console.error("usage: perf_breakdown.ts PERF_REPORT.txt REQUESTS");
  Deno.exit(2);
}
const text = await Deno.readTextFile(file);
const events = /Event count \(approx\.\): (\d+)/.exec(text);
if (events === null) {
  console.error(`${file}: no "Event count" line: pass perf report --stdio output`);
  Deno.exit(2);
}
/** cpu-clock event counts are nanoseconds. */
const totalUs = Number(events[1]) / 1000;
const n = Number(requests);

function bucket(kind: string, dso: string, sym: string): string {
  if (kind === "k") return "kernel (syscalls, TCP on loopback, scheduler)";
  if (sym.startsWith("JS:") || dso.startsWith("[JIT]")) {
    if (sym.includes("/lib/client/")) return "JS engine + parser (lib/client)";
    if (sym.includes("/lib/load/")) return "JS runner (lib/load)";
    if (sym.includes("/lib/records/") || sym.includes("/lib/record.ts")) return "JS CSV";
    if (sym.includes("/lib/stats/")) return "JS summary (lib/stats)";
    if (sym.includes("/lib/cli/") || sym.includes("/lib/report/")) return "JS CLI + progress";
    if (sym.includes("ext:")) return "JS Deno runtime (ext:)";
    return "JS other";
  }
  if (dso.startsWith("libc") || dso.startsWith("[vdso]")) return "libc + vdso";
  if (builtins.length > 0 && dso === "deno") {
    const name = builtinAt(sym);
    return name === null
      ? "Deno native C++/Rust (V8 runtime, GC, ops, tokio)"
      : "Deno native: V8 builtins (promises, microtasks, barriers)";
  }
  return "Deno native (V8 runtime, GC, builtins, ops, tokio)";
}

const sums = new Map<string, number>();
for (const line of text.split("\n")) {
  const m = /^\s+([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$/.exec(line);
  if (m === null) continue;
  const b = bucket(m[3]!, m[2]!, m[4]!);
  sums.set(b, (sums.get(b) ?? 0) + Number(m[1]) / 100);
  if (b.includes("V8 builtins")) {
    const name = builtinAt(m[4]!.trim())!;
    perBuiltin.set(name, (perBuiltin.get(name) ?? 0) + Number(m[1]) / 100);
  }
}
const rows = [...sums].sort((a, b) => b[1] - a[1]);
for (const [b, share] of rows) {
  console.log(
    `${((share * totalUs) / n).toFixed(2).padStart(7)} µs/req  ${
      (share * 100).toFixed(1).padStart(5)
    }%  ${b}`,
  );
}
console.log(`${(totalUs / n).toFixed(2).padStart(7)} µs/req  total (perf's own overhead included)`);
if (perBuiltin.size > 0) {
  console.log("top builtins:");
  for (const [name, share] of [...perBuiltin].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`${((share * totalUs) / n).toFixed(3).padStart(8)} µs/req  ${name}`);
  }
}
