/**
 * `deno task bench:merge-memory`: peak memory and time of `tailgate merge`
 * on large shards. It writes two worker CSVs of `--rows` rows each (default
 * 1,000,000) with sidecars under a fresh directory in /tmp, in completion
 * order (unsorted, as bench writes them) or with `--sorted` in start order,
 * then runs `main.ts merge` as a child under /usr/bin/time: the peak
 * resident set and the wall time, and the output's SHA-256 (the same
 * inputs are generated every time, so two builds' outputs compare by
 * hash). A shell watchdog kills the child when its resident set passes
 * `--cap-mb` (default 4096), so a regression can never eat the machine. The directory is removed at the end.
 *
 * ```sh
 * deno task bench:merge-memory                       # 2 × 1M unsorted
 * deno task bench:merge-memory --rows 500000 --sorted
 * deno task bench:merge-memory --main /other/checkout/main.ts   # another build, same inputs
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CSV_HEADER, CSV_ROW_MAX_BYTES, encodeCsvRow, type RequestRecord } from "../lib/record.ts";
import { buildRunMeta, writeRunMeta } from "../lib/records/run_meta.ts";
import { createRng } from "../lib/rng.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    sorted: { type: "boolean", default: false },
    "cap-mb": { type: "string", default: "4096" },
    main: { type: "string", default: new URL("../main.ts", import.meta.url).pathname },
    keep: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const CAP_KB = Number(values["cap-mb"]) * 1024;
if (!Number.isSafeInteger(ROWS) || ROWS < 1 || ROWS > 20_000_000) {
  throw new RangeError(`Invalid --rows ${values.rows}: give 1 to 20000000`);
}

/** Writes one worker's CSV: ids worker + 2k, start times 0.5 ms apart, in completion order. */
async function writeShard(path: string, worker: number, sorted: boolean): Promise<void> {
  const rng = createRng(worker + 1);
  const t0 = 1_765_000_000_000;
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(1 << 20);
  let pos = new TextEncoder().encodeInto(CSV_HEADER + "\n", buf).written;
  // Completion order: each window of 256 requests finishes in latency order, not start order.
  const WINDOW = 256;
  for (let base = 0; base < ROWS; base += WINDOW) {
    const window: RequestRecord[] = [];
    for (let k = base; k < Math.min(ROWS, base + WINDOW); k++) {
      const started = t0 + k * 0.5 + worker * 0.25;
      const latency = 5 + rng.next() * 40;
      window.push({
        id: worker + 2 * k,
        scheduledMs: started,
        startedMs: started,
        latencyMs: latency,
        ttfbMs: latency * 0.9,
        status: 200,
        bytes: 512,
        error: "",
        warmup: false,
        worker,
        connectMs: null,
        tlsMs: null,
        firstBodyMs: latency * 0.95,
        conn: k % 20,
        target: "",
      });
    }
    if (!sorted) {
      window.sort((a, b) => (a.startedMs + a.latencyMs) - (b.startedMs + b.latencyMs));
    }
    for (const r of window) {
      if (pos + CSV_ROW_MAX_BYTES > buf.length) {
        await writeAll(file, buf.subarray(0, pos));
        pos = 0;
      }
      pos = encodeCsvRow(r, buf, pos);
    }
  }
  await writeAll(file, buf.subarray(0, pos));
  const meta = await buildRunMeta({ url: "http://127.0.0.1:1/api", requests: 2 * ROWS }, {
    index: worker,
    count: 2,
  }, "merge-memory-bench");
  await writeRunMeta(path, meta);
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

/**
 * Runs the command under /usr/bin/time (peak resident set, wall time) with a
 * shell watchdog that kills it once its resident set passes the cap. (Deno
 * needs --allow-all to read a child's /proc entries, so the shell watches.)
 */
const WATCHED = `
cap_kb=$1; timefile=$2; shift 2
/usr/bin/time -f "%M %e" -o "$timefile" "$@" &
tp=$!
while kill -0 "$tp" 2>/dev/null; do
  for c in $(cat /proc/$tp/task/*/children 2>/dev/null); do
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$c/status 2>/dev/null)
    if [ -n "$rss" ] && [ "$rss" -gt "$cap_kb" ]; then kill -9 "$c"; echo "killed at $rss kB" >&2; fi
  done
  sleep 0.02
done
wait "$tp"
`;

const dir = await Deno.makeTempDir({ prefix: "tailgate_merge_memory_" });
try {
  const shards = [`${dir}/w0.csv`, `${dir}/w1.csv`];
  const t = performance.now();
  await Promise.all(shards.map((p, w) => writeShard(p, w, values.sorted)));
  const size = shards.map((p) => Deno.statSync(p).size).reduce((a, b) => a + b, 0);
  console.log(
    `wrote 2 × ${ROWS} rows (${values.sorted ? "sorted" : "completion order"}, ${
      (size / 1e6).toFixed(0)
    } MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const out = `${dir}/all.csv`;
  const timefile = `${dir}/time.txt`;
  const res = await new Deno.Command("sh", {
    args: [
      "-c",
      WATCHED,
      "watched",
      String(CAP_KB),
      timefile,
      "deno",
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      values.main,
      "merge",
      ...shards,
      "-o",
      out,
      "-q",
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(res.stderr).trim();
  const killed = /killed at/.test(stderr);
  const [peakKb, seconds] = (await Deno.readTextFile(timefile)).trim().split("\n").at(-1)!
    .split(" ").map(Number) as [number, number];
  let sha256: string | null = null;
  if (!killed && res.code === 0) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(out));
    sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const report = {
    rows: 2 * ROWS,
    sorted: values.sorted,
    main: values.main,
    exit_code: res.code,
    killed_at_cap_mb: killed ? CAP_KB / 1024 : null,
    seconds,
    peak_rss_mb: Number((peakKb / 1024).toFixed(1)),
    bytes_per_row: Math.round(peakKb * 1024 / (2 * ROWS)),
    output_sha256: sha256,
    ...(stderr ? { stderr: stderr.slice(0, 400) } : {}),
  };
  console.log(JSON.stringify(report));
} finally {
  if (!values.keep) await Deno.remove(dir, { recursive: true });
  else console.log(`kept ${dir}`);
}
