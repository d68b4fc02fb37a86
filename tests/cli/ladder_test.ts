/** `suite --ladder` against the built-in mock, and `--scenario` on serve and suite. */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";
import { readTailgateCsv } from "../../lib/records/formats/tailgate.ts";
import { serveMock } from "../../mock/server.ts";

/**
 * A quick mock with a setup cost no busy machine hides: 5 ms RTT, 20 RTT (100 ms) per new
 * connection, 5 ms median service time, no slow path. A request on a new connection takes about
 * 110 ms, on a kept one about 10 ms.
 */
const QUICK_SETUP_MOCK = [
  "--rtt-ms",
  "5",
  "--setup-rtts",
  "20",
  "--service-median-ms",
  "5",
  "--slow-rate",
  "0",
];

/** Runs `suite --ladder` on the quick mock, writing into `dir`. */
function ladderCli(dir: string, args: string[]) {
  return runCli(["suite", "--ladder", ...args, "--out-dir", dir, ...QUICK_SETUP_MOCK], {
    writeDirs: [dir],
  });
}

const N = 120;
const C = 6;
const BLOCK = 30;
const POOL = 2;

Deno.test("suite --ladder runs four rungs in interleaved blocks and writes ladder and steps", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_ladder_" });
  try {
    const r = await ladderCli(dir, [
      "-n",
      String(N),
      "-c",
      String(C),
      "--block",
      String(BLOCK),
      "--pool",
      String(POOL),
      "--junit",
      `${dir}/verdicts.xml`,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /interleaved: 4 blocks of 30 requests per rung, concurrency 6/);
    assert.match(r.stdout, /^rung +client +conns +p50 +p95 \[95% CI\] +sla +step/m);
    for (const [i, name] of ["no-reuse", "small-pool", "keep-alive", "http2"].entries()) {
      assert.match(r.stdout, new RegExp(`^${i + 1}\\. ${name} `, "m"));
    }

    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.ladder.length, 4);
    assert.equal(report.steps.length, 3);
    for (const rung of report.ladder) {
      for (
        const k of [
          "profile",
          "settings",
          "count",
          "errors",
          "p50_ms",
          "p95_ms",
          "p99_ms",
          "connections",
          "sla_passed",
        ]
      ) assert.ok(k in rung, `${rung.name}.${k}`);
      assert.equal(rung.count, N);
      assert.equal(rung.errors, 0);
      assert.equal(rung.sla_passed, true);
    }
    const [noReuse, small, keep, h2] = report.ladder;
    assert.equal(noReuse.profile, "fast");
    assert.equal(noReuse.settings.keep_alive, false);
    assert.equal(small.settings.max_idle, POOL);
    assert.equal(keep.settings.max_idle, C);
    assert.ok(["fast-h2", "optimized"].includes(h2.profile));
    // Connections, as the client counted them: one per request without reuse; the small pool
    // opens C in the first block and more only when responses finish together and find the pool
    // full (the pauses between blocks are the ladder's, and cost it nothing), far fewer than one
    // per request; the full pool C; HTTP/2 one.
    assert.equal(noReuse.connections_client, N);
    const smallOpened = small.connections_client;
    assert.ok(smallOpened >= C, `${smallOpened}`);
    assert.ok(smallOpened < N / 2, `${smallOpened}`);
    assert.equal(keep.connections_client, C);
    if (h2.profile === "fast-h2") assert.equal(h2.connections_client, 1);
    // The mock's /stats agree, except that on a busy machine the kernel may hand a new connection
    // the local port of a closed one, which the mock takes for the old connection (never more).
    const agree = (mock: number, client: number) =>
      assert.ok(mock <= client && mock >= client * 0.8, `mock ${mock}, client ${client}`);
    agree(noReuse.connections, N);
    agree(small.connections, smallOpened);
    agree(keep.connections, C);
    assert.ok(h2.connections <= 1);
    // Per block: the full pool opens all it needs in block 1.
    assert.equal(keep.connections_per_block.length, N / BLOCK);
    assert.deepEqual(keep.connections_per_block.slice(1), [0, 0, 0]);
    assert.equal(
      small.connections_per_block.reduce((x: number, y: number) => x + y, 0),
      small.connections,
    );

    const [s1, s2, s3] = report.steps;
    assert.deepEqual([s1.from, s1.to], ["no-reuse", "small-pool"]);
    assert.deepEqual([s3.from, s3.to], ["keep-alive", "http2"]);
    for (const s of report.steps) {
      assert.equal(typeof s.delta_p95_ms, "number");
      assert.equal(s.ci_p95_ms.length, 2);
      assert.ok(s.ci_p95_ms[0] <= s.ci_p95_ms[1]);
      assert.ok(
        ["improved", "regressed", "no significant difference"].includes(s.verdict),
        s.verdict,
      );
    }
    // Reuse saves the 100 ms setup on most requests: the first step pays at P50.
    assert.equal(s1.verdict_p50, "improved", JSON.stringify(s1));
    assert.ok(s1.delta_p50_ms < -50, `ΔP50 ${s1.delta_p50_ms}`);
    // Against the mock, every step is split into connection setup and the rest.
    assert.equal(s1.attribution.baseline.connections_opened, noReuse.connections);
    assert.ok(s1.attribution.setup_delta_ms.max < 0);
    assert.equal(s2.attribution.candidate.connections_opened, keep.connections);
    assert.equal(report.request_consistency.identical, true);

    // The CSVs: every rung sent ids 0..N-1.
    for (const rung of report.ladder) {
      const recs = readTailgateCsv(await Deno.readTextFile(`${dir}/latency_${rung.name}.csv`));
      assert.deepEqual(
        recs.map((x) => x.id).sort((a, b) => a - b),
        Array.from({ length: N }, (_, i) => i),
      );
    }
    // JUnit: the SLA of the gated rung, and one comparison per step.
    const xml = await Deno.readTextFile(`${dir}/verdicts.xml`);
    assert.match(xml, /<testcase classname="tailgate\.sla\.http2" name="p95&lt;=800ms"/);
    for (
      const [a, b] of [["no-reuse", "small-pool"], ["small-pool", "keep-alive"], [
        "keep-alive",
        "http2",
      ]]
    ) {
      assert.match(
        xml,
        new RegExp(`<testcase classname="tailgate\\.compare" name="${b} vs ${a} \\(p95\\)"`),
      );
    }
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assert.match(html, /<table id="ladder">/);
    assert.equal(html.match(/<circle class="p95"/g)?.length, 4);
    assert.equal(html.match(/<line class="sla-line"/g)?.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("suite --ladder exits 1 when the top rung fails the SLA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_ladder_" });
  try {
    const r = await ladderCli(dir, ["-n", "40", "-c", "4", "--block", "20", "--sla", "p50<=1ms"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.sla.rung, "http2");
    assert.equal(report.sla.passed, false);
    assert.equal(report.ladder[3].sla_passed, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("suite --ladder and --scenario refuse bad input with one line and exit 2", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["pool not below the concurrency", ["suite", "--ladder", "-c", "4", "--pool", "4"], /--pool/],
    ["pool without ladder", ["suite", "--pool", "3"], /--pool .*--ladder/],
    ["unknown scenario", ["suite", "--scenario", "moon"], /Unknown scenario "moon": use one of/],
    [
      "a baseline profile, which the ladder would ignore",
      ["suite", "--ladder", "--baseline", "fast", "-n", "10"],
      /Cannot combine --ladder with --baseline: the ladder runs its own four clients/,
    ],
    [
      "a candidate profile",
      ["suite", "http://127.0.0.2:9/", "--ladder", "--candidate=fresh"],
      /Cannot combine --ladder with --candidate/,
    ],
    ["unknown scenario on serve", ["serve", "--scenario", "moon"], /Unknown scenario "moon"/],
  ];
  for (const [name, args, re] of cases) {
    await t.step(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${name}: ${r.stderr}${r.stdout}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }
});

Deno.test("suite --scenario sets the mock's network, and flags override it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_scenario_" });
  try {
    const r = await runCli([
      "suite",
      "--scenario",
      "same-region",
      "--service-median-ms",
      "2",
      "--slow-rate",
      "0",
      "-n",
      "20",
      "-c",
      "4",
      "--confidence",
      "off",
      "--out-dir",
      dir,
    ], { writeDirs: [dir] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.mock.config.rttMs, 2);
    assert.equal(report.mock.config.setupRtts, 2);
    assert.equal(report.mock.config.serviceMedianMs, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Quick mock settings for a server the CLI reaches by URL (5 ms RTT, 100 ms setup). */
const QUICK_URL_MOCK = { rttMs: 5, setupRtts: 20, serviceMedianMs: 5, slowRate: 0, port: 0 };

Deno.test("suite <url> --ladder runs the rungs against the URL and counts connections client-side", async () => {
  const server = serveMock(QUICK_URL_MOCK);
  const dir = await Deno.makeTempDir({ prefix: "tailgate_ladder_url_" });
  try {
    const n = 60, c = 4;
    const r = await runCli([
      "suite",
      `${server.url}/api?id=1`,
      "--ladder",
      ...["-n", String(n), "-c", String(c), "--block", "20", "--pool", "2", "--out-dir", dir],
    ], { writeDirs: [dir] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /request consistency \(client-side digest, each step\): identical/);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.mock, null);
    assert.match(report.target.url, /^http:\/\/127\.0\.0\.1:\d+\/api\?id=1$/);
    // The mock speaks h2c, so the probe finds HTTP/2 and all four rungs run.
    assert.deepEqual(report.ladder.map((x: { name: string }) => x.name), [
      "no-reuse",
      "small-pool",
      "keep-alive",
      "http2",
    ]);
    const [noReuse, , keep, h2] = report.ladder;
    assert.equal(noReuse.connections_source, "client");
    assert.equal(noReuse.connections, n);
    assert.equal(keep.connections, c);
    assert.equal(h2.connections, 1);
    for (const s of report.steps) assert.equal(s.attribution, null, "no /stats, no attribution");
    // The engines' own connect times split each step instead.
    for (const s of report.steps) assert.ok(s.setup_split, `${s.from} -> ${s.to}: split`);
    assert.equal(report.steps[0].setup_split.n.a, n);
    assert.ok(
      report.steps[0].setup_split.with_setup.a > n / 2,
      "no reuse: requests paid a connect",
    );
    assert.match(r.stdout, /^no-reuse -> small-pool, split by the client's connect and TLS times/m);
    assert.ok(
      report.notes.some((x: string) => /each step is split into connection setup/.test(x)),
      report.notes.join("\n"),
    );
    assert.ok(report.steps[0].delta_p50_ms < 0, "reuse saves the setup at P50");
    assert.equal(report.request_consistency.method, "client-side digest");
    // The server saw every rung's requests.
    assert.equal(server.app.stats().requests.total, 4 * n);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("suite <url> --ladder leaves out the HTTP/2 rung when the server offers no HTTP/2", async () => {
  const server = serveMock({ ...QUICK_URL_MOCK, raw: true });
  const dir = await Deno.makeTempDir({ prefix: "tailgate_ladder_url_" });
  try {
    const r = await runCli([
      "suite",
      `${server.url}/api?id=1`,
      "--ladder",
      ...["-n", "60", "-c", "4", "--block", "20", "--pool", "2", "--out-dir", dir],
    ], { writeDirs: [dir] });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /no HTTP\/2 rung: /);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.ladder.length, 3);
    assert.equal(report.steps.length, 2);
    assert.equal(report.sla.rung, "keep-alive");
    assert.equal(report.config.http2_engine, null);
    assert.ok(report.notes.some((x: string) => x.startsWith("No HTTP/2 rung")));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
