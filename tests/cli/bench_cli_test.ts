/**
 * Bad input gets one clear line on stderr, exit code 2, no stack trace and
 * no file left behind. Each case spawns the CLI with the same permissions as
 * the deno.json tasks.
 */
import assert from "node:assert/strict";
import { CSV_HEADER } from "../../lib/record.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const PERMS = ["--allow-net=127.0.0.1,localhost", "--allow-read=.", "--allow-write=results"];
const TAG = `_cli_test_${Deno.pid}`;
const OUT = `results/${TAG}.csv`;
const JSON_OUT = `results/${TAG}.json`;
// No bad-input case may get as far as sending anything.
const URL_OK = "http://127.0.0.1:9/api";

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, "main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(`${ROOT}${path}`);
    return true;
  } catch {
    return false;
  }
}

/** [name, args after "bench", a fragment the error line must contain]. */
const BENCH_CASES: [string, string[], string][] = [
  ["missing URL", [], "Missing URL"],
  ["malformed URL", ["not a url"], "Invalid URL"],
  ["URL without scheme", ["127.0.0.1:8080/api"], "no scheme"],
  ["host:port without scheme", ["localhost:8080"], "no scheme"],
  ["unsupported scheme", ["ftp://127.0.0.1/file"], "Unsupported scheme"],
  ["two positionals", [URL_OK, "extra"], "one URL"],
  ["zero -n", [URL_OK, "-n", "0"], "--requests"],
  ["negative -n", [URL_OK, "-n", "-5"], "-n"],
  ["negative -n with =", [URL_OK, "--requests=-5"], "--requests"],
  ["non-numeric -n", [URL_OK, "-n", "lots"], "--requests"],
  ["fractional -n", [URL_OK, "-n", "2.5"], "--requests"],
  ["zero -c", [URL_OK, "-c", "0"], "--concurrency"],
  ["non-numeric -c", [URL_OK, "-c", "many"], "--concurrency"],
  ["zero --rate", [URL_OK, "--rate", "0", "-d", "1s"], "--rate"],
  ["negative --rate", [URL_OK, "--rate=-3", "-d", "1s"], "--rate"],
  ["non-numeric --rate", [URL_OK, "--rate", "fast", "-d", "1s"], "--rate"],
  ["unknown flag", [URL_OK, "--bogus"], "Unknown option --bogus"],
  ["unknown short flag", [URL_OK, "-Z"], "Unknown option -Z"],
  ["flag without value", [URL_OK, "--out", OUT, "--timeout"], "needs a value"],
  ["flag followed by another flag", [URL_OK, "--timeout", "--quiet"], "--timeout"],
  ["duration without unit", [URL_OK, "-d", "30"], "missing unit"],
  ["duration with bad unit", [URL_OK, "-d", "30x"], "unknown unit"],
  ["timeout without unit", [URL_OK, "--timeout", "5"], "--timeout"],
  ["warm-up neither count nor time", [URL_OK, "--warmup", "5y"], "--warmup"],
  ["header without colon", [URL_OK, "-H", "Authorization Bearer abc"], "Malformed --header"],
  ["header without name", [URL_OK, "-H", ": value"], "Malformed --header"],
  ["header with bad name", [URL_OK, "-H", "Bad Name: v"], "Malformed --header"],
  ["malformed secret header", [URL_OK, "--secret-header", "token"], "Malformed --secret-header"],
  ["missing body file", [URL_OK, "--body", "@results/does-not-exist.json"], "Cannot read body"],
  ["empty body file name", [URL_OK, "--body", "@"], "Missing file name"],
  ["bad method", [URL_OK, "-m", "GE T"], "--method"],
  ["bad content type", [URL_OK, "--content-type", "json"], "--content-type"],
  ["SLA with bad unit", [URL_OK, "--sla", "p95<=800xs"], '"800xs"'],
  ["SLA without operator", [URL_OK, "--sla", "p95 800ms"], "no comparison operator"],
  ["SLA unknown metric", [URL_OK, "--sla", "p95<=1s", "--sla", "latency<1s"], '"latency"'],
  ["SLA equality", [URL_OK, "--sla", "p95=800ms"], 'operator "="'],
  ["SLA percentile out of range", [URL_OK, "--sla", "p101<1s"], "out of range"],
  ["SLA error rate above 100%", [URL_OK, "--sla", "error_rate<150%"], "above 100%"],
  ["--rate with -c", [URL_OK, "--rate", "10", "-d", "1s", "-c", "5"], "--max-in-flight"],
  ["--rate without an end", [URL_OK, "--rate", "10"], "--duration"],
  ["--max-in-flight without --rate", [URL_OK, "--max-in-flight", "5"], "open model only"],
  ["--pacer without --rate", [URL_OK, "--pacer", "timers"], "open model only"],
  ["unknown --pacer", [URL_OK, "--rate", "10", "-d", "1s", "--pacer", "spin"], "yield or timers"],
  ["unknown client", [URL_OK, "--client", "turbo"], "Unknown --client"],
  ["bad confidence", [URL_OK, "--confidence", "120%"], "--confidence"],
  ["bad shard", [URL_OK, "--shard", "4/4"], "Invalid shard"],
  ["bad run id", [URL_OK, "--run-id", "a b"], "--run-id"],
  ["missing CA file", [URL_OK, "--ca-cert", "results/nope.pem"], "--ca-cert"],
  ["CA file that is not PEM", [URL_OK, "--ca-cert", "deno.json"], "PEM"],
  [
    "unwritable --out (outside the granted dir)",
    [URL_OK, "--out", "/tmp/x/y.csv"],
    "--allow-write=/tmp/x",
  ],
  ["--out is a directory", [URL_OK, "--out", "results"], "directory"],
  ["unwritable --json", [URL_OK, "--json", "/proc/tailgate.json"], "--json"],
  ["--out and --json the same", [URL_OK, "--json", OUT], "different files"],
  ["--out with --no-csv", [URL_OK, "--no-csv"], "--no-csv"],
  ["--streams 0", [URL_OK, "--client", "fast-h2", "--streams", "0"], "--streams"],
  ["--connections not a number", [URL_OK, "--client", "fast-h2", "--connections", "x"], "x"],
  ["--connections without fast-h2", [URL_OK, "--client", "fast", "--connections", "2"], "fast-h2"],
  // Habits of hey, oha, wrk and k6: the error names the tailgate equivalent.
  ["hey/oha -d with a JSON body", [URL_OK, "-d", '{"a":1}'], "a request body is --body"],
  ["hey -q 50 as a rate", [URL_OK, "-q", "50"], "--rate 50"],
  ["hey -o csv as a format", [URL_OK, "-o", "csv"], 'file named "csv"'],
  ["wrk2 -R", [URL_OK, "-R", "100"], "--rate R"],
  ["wrk -t threads", [URL_OK, "-t", "2"], "--shard"],
  ["k6 --vus", [URL_OK, "--vus", "10"], "-c C"],
  ["-z without a unit", [URL_OK, "-z", "10"], "missing unit"],
  // Permissions: named with the flag to add, before anything is sent or created.
  [
    "no network permission for the target",
    ["http://127.0.0.2:8081/"],
    "--allow-net=127.0.0.2:8081",
  ],
  [
    "no read permission for the body file",
    [URL_OK, "--body", "@/etc/hostname"],
    "--allow-read=/etc/hostname",
  ],
];

const DEFAULT_OUT_CASES = new Set([
  "SLA with bad unit",
  "--rate with -c",
  "missing body file",
  "unknown client",
  "bad shard",
]);

Deno.test("bench rejects each bad input with one line, exit 2, no trace, no file", async (t) => {
  await Deno.mkdir(`${ROOT}results`, { recursive: true });
  const before = new Set<string>();
  for await (const e of Deno.readDir(`${ROOT}results`)) before.add(e.name);
  // Run a few at a time: each is a separate process.
  const results = new Map<string, Awaited<ReturnType<typeof run>>>();
  for (let i = 0; i < BENCH_CASES.length; i += 6) {
    const batch = BENCH_CASES.slice(i, i + 6);
    await Promise.all(batch.map(async ([name, args]) => {
      // Most cases name an --out file to check; a few use the default
      // results/bench-<timestamp>.csv, which must not appear either.
      const full = args.includes("--no-csv")
        ? [...args, "--out", OUT]
        : args.includes("--out") || DEFAULT_OUT_CASES.has(name)
        ? args
        : [...args, "--out", OUT];
      results.set(name, await run(["bench", ...full]));
    }));
  }
  for (const [name, , fragment] of BENCH_CASES) {
    await t.step(name, () => {
      const r = results.get(name)!;
      const lines = r.stderr.trim().split("\n");
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
      assert.match(lines[0]!, /^tailgate bench: /);
      assert.ok(lines[0]!.includes(fragment), `"${fragment}" in: ${lines[0]}`);
      assert.ok(!/\n\s+at |Stack backtrace|error: Uncaught/.test(r.stderr), "no stack trace");
      assert.equal(r.stdout, "", "nothing on stdout");
    });
  }
  await t.step("no file left behind", async () => {
    assert.equal(await exists(OUT), false);
    assert.equal(await exists(JSON_OUT), false);
    const after: string[] = [];
    for await (const e of Deno.readDir(`${ROOT}results`)) {
      if (!before.has(e.name) && e.name.startsWith("bench-")) after.push(e.name);
    }
    assert.deepEqual(after, [], "no default-named CSV was created");
  });
});

Deno.test("bench never echoes a secret header value or URL password in an error", async () => {
  const cases = [
    [URL_OK, "-H", "Authorization Bearer hunter2-secret"],
    [URL_OK, "-H", "Authorization=hunter2-secret"],
    [URL_OK, "-H", "hunter2-secret"],
    ["http://bob:hunter2-secret@exa mple/api"],
    ["bob:hunter2-secret@host/api"],
    ["http://127.0.0.1:1/api?api_key=hunter2-secret", "-n", "x"],
  ];
  for (const args of cases) {
    const r = await run(["bench", ...args, "--out", OUT]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!r.stderr.includes("hunter2-secret"), r.stderr);
  }
});

Deno.test("report rejects a missing, empty, wrong-header or malformed CSV with one line", async (t) => {
  const files = {
    empty: `results/${TAG}_empty.csv`,
    header: `results/${TAG}_header.csv`,
    row: `results/${TAG}_row.csv`,
  };
  await Deno.writeTextFile(`${ROOT}${files.empty}`, "");
  await Deno.writeTextFile(`${ROOT}${files.header}`, "id,latency\n1,2\n");
  await Deno.writeTextFile(
    `${ROOT}${files.row}`,
    `${CSV_HEADER}\n0,1000,12.5,200,10,42,,1000,0,0,,,,,\n1,1001,oops,200,10,42,,1001,0,0,,,,,\n`,
  );
  const cases: [string, string[], RegExp][] = [
    ["missing file", ["report", "results/no-such-run.csv"], /not found/],
    ["empty file", ["report", files.empty], /empty/i],
    ["wrong header", ["report", files.header], /header/],
    ["malformed row names the line", ["report", files.row], /line 3/],
    ["no file given", ["report"], /CSV/],
  ];
  try {
    for (const [name, args, want] of cases) {
      await t.step(name, async () => {
        const r = await run(args);
        const lines = r.stderr.trim().split("\n");
        assert.equal(r.code, 2, r.stderr);
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, want);
        assert.ok(!/\n\s+at |Stack backtrace/.test(r.stderr));
      });
    }
  } finally {
    for (const f of Object.values(files)) await Deno.remove(`${ROOT}${f}`).catch(() => {});
  }
});

Deno.test("bench exit codes and warm-up on real runs against the mock", async (t) => {
  const { serveMock } = await import("../../mock/server.ts");
  const { readRecordBatches } = await import("../../lib/records/read_records.ts");
  const server = serveMock({ rttMs: 1, setupRtts: 0, serviceMedianMs: 2, slowRate: 0, port: 0 });
  const api = `${server.url}/api`;
  const rows = async () => {
    const all = [];
    for await (const b of readRecordBatches(`${ROOT}${OUT}`)) all.push(...b);
    return all;
  };
  try {
    await t.step("closed model, warm-up marked and excluded, rules pass: 0", async () => {
      const r = await run([
        "bench",
        api,
        "-n",
        "30",
        "-c",
        "3",
        "--warmup",
        "5",
        "--sla",
        "error_rate<=0%",
        "--sla",
        "p50<5s",
        "--out",
        OUT,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /requests +30\n/);
      assert.match(r.stdout, /status codes +200: 30/);
      const all = await rows();
      assert.equal(all.length, 35);
      assert.equal(all.filter((x) => x.warmup).length, 5);
    });
    await t.step("an SLA rule that fails: 1", async () => {
      const r = await run([
        "bench",
        api,
        "-n",
        "20",
        "--sla",
        "max<1us",
        "--confidence",
        "off",
        "--out",
        OUT,
      ]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /max<1us .* FAIL/);
    });
    await t.step("a percentile rule without enough data: 3 (inconclusive)", async () => {
      const r = await run(["bench", api, "-n", "20", "--sla", "p99<=10s", "--out", OUT]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stdout, /INCONCLUSIVE/);
      assert.match(r.stdout, /needs n>=299/);
    });
    await t.step("open model with -n: scheduled times recorded: 0", async () => {
      const r = await run(["bench", api, "--rate", "200", "-n", "40", "--out", OUT]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /open model +200\.0 req\/s scheduled/);
      const all = (await rows()).sort((a, b) => a.id - b.id);
      assert.equal(all.length, 40);
      const step = all[1]!.scheduledMs - all[0]!.scheduledMs;
      assert.ok(Math.abs(step - 5) < 0.01, `scheduled 5 ms apart, got ${step}`);
    });
    await t.step("open model with --pacer timers keeps the schedule on timers: 0", async () => {
      const r = await run([
        "bench",
        api,
        "--rate",
        "200",
        "-n",
        "40",
        "--pacer",
        "timers",
        "--json",
        JSON_OUT,
        "--out",
        OUT,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal((await rows()).length, 40);
      const config = JSON.parse(await Deno.readTextFile(`${ROOT}${JSON_OUT}`)).config;
      assert.equal(config.pacer, "timers");
    });
    await t.step("every request fails to connect: 4", async () => {
      // A port that was just free: nothing listens there (fetch blocks "unsafe" ports like 9).
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      l.close();
      const url = `http://127.0.0.1:${port}/api`;
      const r = await run(["bench", url, "-n", "5", "-c", "1", "--out", OUT]);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(r.stdout, /connect_refused: 5/);
    });
  } finally {
    await server.close();
    for (const f of [OUT, `${OUT}.meta.json`, JSON_OUT]) {
      await Deno.remove(`${ROOT}${f}`).catch(() => {});
    }
  }
});

/** [name, args, a fragment the one error line must contain]: suite <url> and compare forms. */
const OTHER_CASES: [string, string[], string][] = [
  ["suite: two URLs", ["suite", URL_OK, "http://127.0.0.1:9/b"], "at most one URL"],
  ["suite: unsupported scheme", ["suite", "ftp://127.0.0.1/x"], "Unsupported scheme"],
  ["suite: a mock flag with a URL", ["suite", URL_OK, "--rtt-ms", "5"], "built-in mock"],
  ["suite: a request flag without a URL", ["suite", "-H", "Accept: x"], "suite <url> only"],
  [
    "suite: unknown --candidate",
    ["suite", "--candidate", "turbo"],
    'Unknown --candidate profile "turbo"',
  ],
  ["suite: unknown --baseline", ["suite", "--baseline", "x"], 'Unknown --baseline profile "x"'],
  [
    "suite: --interleave with --sequential",
    ["suite", "--interleave", "--sequential"],
    "Cannot combine",
  ],
  ["suite: bad --timeout", ["suite", URL_OK, "--timeout", "5"], "--timeout"],
  ["suite: hey -q 50", ["suite", "-q", "50"], "--rate 50"],
  [
    "suite: no network permission for the URL",
    ["suite", "http://127.0.0.2:8081/"],
    "--allow-net=127.0.0.2:8081",
  ],
  [
    "suite: --out-dir not writable",
    ["suite", URL_OK, "--out-dir", "/tmp/tailgate-no"],
    "--allow-write=/tmp/tailgate-no",
  ],
  ["compare: one file", ["compare", "a.csv"], "two CSV files, got 1"],
  ["merge: -o csv as a format", ["merge", "a.csv", "-o", "csv"], 'file named "csv"'],
  [
    "compare: unreadable input",
    ["compare", "/etc/hostname", "/etc/hosts"],
    "--allow-read=/etc/hostname",
  ],
];

Deno.test("suite <url> and compare reject each new bad input with one line, exit 2, no trace, no file", async (t) => {
  const before = new Set<string>();
  for await (const e of Deno.readDir(`${ROOT}results`)) before.add(e.name);
  for (const [name, args, fragment] of OTHER_CASES) {
    await t.step(name, async () => {
      const r = await run(args);
      const lines = r.stderr.trim().split("\n");
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
      assert.match(lines[0]!, new RegExp(`^tailgate ${args[0]}: `));
      assert.ok(lines[0]!.includes(fragment), `"${fragment}" in: ${lines[0]}`);
      assert.ok(!/\n\s+at |Stack backtrace|error: Uncaught/.test(r.stderr), "no stack trace");
    });
  }
  await t.step("no file left behind", async () => {
    const after: string[] = [];
    for await (const e of Deno.readDir(`${ROOT}results`)) {
      if (!before.has(e.name)) after.push(e.name);
    }
    assert.deepEqual(after, []);
  });
});

Deno.test("bench names a missing read grant for --out as read, not write", async () => {
  // An output is checked (stat) before it is written, so writing alone is not enough.
  const path = `/tmp/_tailgate_cli_test_${Deno.pid}_unreadable.csv`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-write=/tmp",
      "main.ts",
      "bench",
      URL_OK,
      "--out",
      path,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 2, stderr);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /No read permission for --out .*: add --allow-read=\/tmp/);
  assert.equal(await exists(path), false);
});
