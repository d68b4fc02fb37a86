/**
 * What a careless or hostile user types into `bench` (issue 22: H2, L6's
 * port 0, L8, L9, L11): each is one line, exit 2, before anything is sent,
 * in bounded memory, and a URL fragment never reaches an output.
 */
import assert from "node:assert/strict";
import { serveMock } from "../../mock/server.ts";
import { oneLine, runCli } from "../_cli.ts";
import { QUICK_MOCK } from "../_fault_matrix.ts";
import { watchPeakRss } from "../_rss_watch.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** Nothing listens on port 9 (discard): a request there fails, but flags are checked first. */
const CLOSED = "http://127.0.0.1:9/api";

/**
 * Runs the CLI under an RSS watchdog: killed when its peak resident memory
 * (VmHWM) passes `capMb` or after 20 s, so a read without a bound cannot take
 * the machine's memory.
 */
async function runCapped(
  args: string[],
  capMb: number,
): Promise<{ code: number; stderr: string; peakMb: number; killed: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env=NO_COLOR",
      MAIN,
      ...args,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const { output: out, peakKb, killed } = await watchPeakRss(child, capMb, 20_000);
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    peakMb: Math.round(peakKb / 1024),
    killed,
  };
}

Deno.test("bench --body @/dev/zero and --ca-cert /dev/zero exit 2 at once, in bounded memory", async () => {
  for (
    const [args, pattern] of [
      [["--body", "@/dev/zero"], /body file "\/dev\/zero": it is not a regular file/],
      [["--ca-cert", "/dev/zero"], /--ca-cert \/dev\/zero: it is not a regular file/],
    ] as const
  ) {
    const r = await runCapped(["bench", CLOSED, "-n", "2", "--no-csv", ...args], 512);
    assert.equal(r.killed, false, `killed at ${r.peakMb} MB (cap 512 MB)`);
    assert.ok(r.peakMb < 200, `peak ${r.peakMb} MB`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    oneLine(r.stderr);
  }
});

Deno.test("compare --mock-stats /dev/zero or an oversized file exits 2 at once, in bounded memory", async () => {
  const big = await Deno.makeTempFile({ dir: "/tmp", prefix: "mock_stats_", suffix: ".json" });
  try {
    await Deno.truncate(big, 17 * 1024 * 1024); // sparse: past the 16 MiB bound, no disk used
    const csv = new URL("../fixtures/tailgate.csv", import.meta.url).pathname;
    for (
      const [file, pattern] of [
        ["/dev/zero", /--mock-stats \/dev\/zero: it is not a regular file/],
        [big, /--mock-stats .*: it is larger than 16 MiB/],
      ] as const
    ) {
      const r = await runCapped(["compare", csv, csv, "--mock-stats", file], 512);
      assert.equal(r.killed, false, `killed at ${r.peakMb} MB (cap 512 MB)`);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      oneLine(r.stderr);
    }
  } finally {
    await Deno.remove(big);
  }
});

Deno.test("bench refuses a body over --max-body by its size, and --max-body above 1 GiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.bin`;
    using f = await Deno.open(big, { write: true, create: true });
    await f.truncate(2 ** 31); // sparse: 2 GiB that takes no disk
    const r = await runCapped(["bench", CLOSED, "-n", "1", "--no-csv", "--body", `@${big}`], 512);
    assert.equal(r.killed, false, `killed at ${r.peakMb} MB`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /larger than 64 MiB; raise --max-body \(at most 1 GiB\)/);
    oneLine(r.stderr);
    await f.truncate(65 << 20);
    const still = await runCli(["bench", CLOSED, "-n", "1", "--no-csv", "--body", `@${big}`]);
    assert.equal(still.code, 2, still.stderr);
    const cap = await runCli([
      "bench",
      CLOSED,
      "--no-csv",
      "--body",
      `@${big}`,
      "--max-body",
      "2GiB",
    ]);
    assert.equal(cap.code, 2, cap.stderr);
    assert.match(cap.stderr, /--max-body: "2GiB" is above the maximum of 1 GiB/);
    // Raised, the same file is read and sent (the closed port then fails the run: exit 4).
    const raised = await runCli([
      "bench",
      CLOSED,
      "-n",
      "1",
      "--no-csv",
      "-q",
      "--body",
      `@${big}`,
      "--max-body",
      "128MiB",
    ]);
    assert.equal(raised.code, 4, raised.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBounded() stops at the limit when a file's size lies (/proc reports 0)", async () => {
  // Deno lets only --allow-all read /proc: a `deno eval` child (which has it) does the read.
  const mod = new URL("../../lib/read_bounded.ts", import.meta.url).href;
  const code = `import { readBounded } from "${mod}";
const size = (await Deno.stat("/proc/self/maps")).size;
const msg = await readBounded("/proc/self/maps", 16).then((b) => "read " + b.length, (e) => e.message);
console.log(size + " " + msg);`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", "-q", code] }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "0 it is larger than 16 B");
});

Deno.test("bench refuses a CA bundle over 1 MiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    await Deno.writeTextFile(`${dir}/ca.pem`, pem.repeat(Math.ceil((1 << 20) / pem.length) + 1));
    const r = await runCli(["bench", CLOSED, "--no-csv", "--ca-cert", `${dir}/ca.pem`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--ca-cert .*ca\.pem: it is larger than 1 MiB/);
    oneLine(r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench refuses a non-ASCII header value and port 0 before sending", async () => {
  const uni = await runCli(["bench", CLOSED, "-n", "1", "--no-csv", "-H", "X-Uni: ✓"]);
  assert.equal(uni.code, 2, uni.stdout + uni.stderr);
  assert.match(uni.stderr, /Malformed --header "X-Uni": the value has a non-ASCII/);
  assert.doesNotMatch(uni.stderr, /✓/, "the value is not echoed");
  oneLine(uni.stderr);
  const zero = await runCli(["bench", "http://127.0.0.1:0/api", "-n", "1", "--no-csv"]);
  assert.equal(zero.code, 2, zero.stdout + zero.stderr);
  assert.match(zero.stderr, /port 0 cannot be connected to/);
  oneLine(zero.stderr);
});

Deno.test("bench escapes control bytes it echoes and names the --rate maximum", async () => {
  const cases: [string[], RegExp][] = [
    [["--run-id", "a\x1b[31mb\rc"], /Invalid --run-id "a\\x1b\[31mb\\x0dc"/],
    [["--method", "GE\x1b[2J\rT"], /Invalid --method "GE\\x1b\[2J\\x0dT"/],
    [["--rate", "1e12"], /"1e12" is above the maximum of 1,000,000\/s/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(["bench", CLOSED, "-n", "1", "--no-csv", ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stderr, /[\x1b\r]/, "no raw ESC or CR reaches the terminal");
    oneLine(r.stderr);
  }
});

Deno.test("a URL fragment is never in bench's or suite's stdout, JSON, sidecars or report", async () => {
  const server = serveMock(QUICK_MOCK);
  const dir = await Deno.makeTempDir();
  try {
    const url = `${server.url}/api#access_token=frag-S3CRET-77`;
    const bench = await runCli(
      ["bench", url, "-n", "10", "-c", "2", "--out", `${dir}/b.csv`, "--json", `${dir}/b.json`],
      { writeDirs: [dir] },
    );
    assert.equal(bench.code, 0, bench.stderr);
    const suite = await runCli(["suite", url, "-n", "10", "-c", "2", "--out-dir", `${dir}/s`], {
      writeDirs: [dir],
    });
    assert.ok([0, 1, 3].includes(suite.code), suite.stderr);
    const files = [`${dir}/b.json`, `${dir}/b.csv.meta.json`];
    for (const e of Deno.readDirSync(`${dir}/s`)) files.push(`${dir}/s/${e.name}`);
    assert.ok(files.some((f) => f.endsWith("comparison_report.json")), files.join(" "));
    assert.ok(files.some((f) => f.endsWith("report.html")), files.join(" "));
    for (
      const [where, text] of [
        ["bench output", bench.stdout + bench.stderr],
        ["suite output", suite.stdout + suite.stderr],
        ...files.map((f) => [f, Deno.readTextFileSync(f)]),
      ]
    ) {
      assert.doesNotMatch(text!, /frag-S3CRET-77|access_token/, where);
    }
    // The run describes the URL that was requested: no fragment.
    const json = JSON.parse(Deno.readTextFileSync(`${dir}/b.json`));
    assert.equal(json.config.url, `${server.url}/api`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
