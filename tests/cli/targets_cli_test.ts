/**
 * `bench --targets` end to end against a server on 127.0.0.2 with three
 * endpoints, one slow (tests/_targets_server.ts): weights and the seeded
 * mix, scoped SLA rules, vegeta's http format sending the same requests as
 * JSON lines, the permission pre-check over every host, and the bad input
 * that must stop a run before anything is sent.
 */
import assert from "node:assert/strict";
import { readRecordsFile } from "../../lib/records/read_records.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { runCli } from "../_cli.ts";
import { type SeenRequest, startTargetsServer, type TargetsServer } from "../_targets_server.ts";

const NET = "127.0.0.1,127.0.0.2";

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

async function withServer(
  f: (server: TargetsServer, dir: string) => Promise<void>,
  slowMs = 60,
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "targets_cli_test_" });
  const server = startTargetsServer(slowMs);
  try {
    await f(server, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The three targets as JSON lines (named or not; /slow weighted `slowWeight`)
 * and in vegeta's http format (which has no weights: each is 1).
 */
async function writeTargets(dir: string, url: string, named: boolean, slowWeight = 2) {
  await Deno.writeTextFile(`${dir}/other.json`, '{"q":1}');
  const n = (name: string) => named ? `"name":"${name}",` : "";
  const jsonl = `${dir}/t.jsonl`;
  await Deno.writeTextFile(
    jsonl,
    [
      `{${n("fast")}"url":"${url}/fast","weight":1}`,
      `{${
        n("other")
      }"method":"POST","url":"${url}/other","header":{"X-Run":"a"},"body_file":"${dir}/other.json","weight":1}`,
      `{${n("slow")}"url":"${url}/slow","weight":${slowWeight}}`,
    ].join("\n") + "\n",
  );
  const http = `${dir}/t.http`;
  await Deno.writeTextFile(
    http,
    `GET ${url}/fast\n\nPOST ${url}/other\nX-Run: a\n@${dir}/other.json\n\nGET ${url}/slow\n`,
  );
  return { jsonl, http };
}

/** The 99% two-sided normal range of a binomial count. */
function range99(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - 2.576 * sd, n * p + 2.576 * sd];
}

function bench(args: string[], dir: string) {
  return runCli(["bench", ...args, "-q"], { net: NET, writeDirs: [dir] });
}

Deno.test("--mix weighted --seed 7 sends 1:1:2 within the 99% binomial range, the same sequence for the same seed", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    const n = 2000;
    const run = async (seed: number, out: string) => {
      const r = await bench(
        [
          "--targets",
          jsonl,
          "--mix",
          "weighted",
          "--seed",
          String(seed),
          "-n",
          String(n),
          "-c",
          "20",
          "-o",
          out,
          "--json",
          "-",
        ],
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      const seq = (await readAll(out)).sort((a, b) => a.id - b.id).map((x) => x.target);
      return { doc, seq };
    };
    const a = await run(7, `${dir}/a.csv`);
    const counts = Object.fromEntries(
      a.doc.targets.map((
        t: { name: string; summary: { count: number } },
      ) => [t.name, t.summary.count]),
    );
    for (const [name, p] of [["fast", 0.25], ["other", 0.25], ["slow", 0.5]] as const) {
      const [lo, hi] = range99(n, p);
      assert.ok(
        counts[name] >= lo && counts[name] <= hi,
        `${name}: ${counts[name]} in [${lo}, ${hi}]`,
      );
    }
    assert.equal(a.doc.summary.count, n);
    assert.equal(a.doc.config.targets.mix, "weighted");
    const b = await run(7, `${dir}/b.csv`);
    assert.deepEqual(b.seq, a.seq);
    assert.equal(b.doc.config.request_digest, a.doc.config.request_digest);
    const c = await run(8, `${dir}/c.csv`);
    assert.notDeepEqual(c.seq, a.seq);
    assert.notEqual(c.doc.config.request_digest, a.doc.config.request_digest);
  });
});

Deno.test("a scoped rule fails for the slow endpoint alone (exit 1, naming it) while the pooled rule passes", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    const r = await bench(
      [
        "--targets",
        jsonl,
        "-n",
        "400",
        "-c",
        "10",
        "--no-csv",
        "--confidence",
        "off",
        "--sla",
        "slow:p95<=50ms",
        "--sla",
        "fast:p95<=50ms",
        "--sla",
        "p50<=50ms",
      ],
      dir,
    );
    assert.equal(r.code, 1, r.stderr);
    const line = (rule: string) => r.stdout.split("\n").find((l) => l.startsWith(rule + " ")) ?? "";
    assert.match(line("slow:p95<=50ms"), /FAIL$/);
    assert.match(line("fast:p95<=50ms"), /PASS$/);
    assert.match(line("p50<=50ms"), /PASS$/);
    // The per-target table: every target and the pooled row.
    for (const name of ["fast", "other", "slow", "(pooled)"]) {
      assert.match(r.stdout, new RegExp(`^${name.replace(/[()]/g, "\\$&")}\\s+\\d+\\s+0\\s`, "m"));
    }
  });
});

/** The requests as the server saw them, as sorted strings (order-free). */
function multiset(seen: SeenRequest[]): string[] {
  return seen.map((s) => `${s.method} ${s.path} ${s.body}`).sort();
}

Deno.test("the same targets in vegeta's http format send the same requests as JSON lines", async () => {
  await withServer(async (server, dir) => {
    const { jsonl, http } = await writeTargets(dir, server.url, false, 1);
    const run = async (file: string, out: string) => {
      const from = server.seen.length;
      const r = await bench(
        ["--targets", file, "-n", "200", "-c", "1", "-o", out, "--json", "-"],
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
      const recs = (await readAll(out)).sort((a, b) => a.id - b.id);
      return {
        doc: JSON.parse(r.stdout),
        seen: server.seen.slice(from),
        targets: recs.map((x) => x.target),
      };
    };
    const a = await run(jsonl, `${dir}/j.csv`);
    const b = await run(http, `${dir}/h.csv`);
    assert.equal(a.seen.length, 200);
    assert.deepEqual(multiset(b.seen), multiset(a.seen));
    // One client in a closed loop: the server saw them in the sequence's order, the same both times.
    assert.deepEqual(b.seen, a.seen);
    assert.deepEqual(b.targets, a.targets);
    assert.deepEqual(a.targets.slice(0, 4), ["GET /fast", "POST /other", "GET /slow", "GET /fast"]);
    assert.equal(b.doc.config.request_digest, a.doc.config.request_digest);
    assert.equal(a.doc.config.targets.format, "jsonl");
    assert.equal(b.doc.config.targets.format, "http");
  });
});

Deno.test("the permission pre-check names every host of the targets file not granted, before any request", async () => {
  await withServer(async (server, dir) => {
    const file = `${dir}/hosts.jsonl`;
    await Deno.writeTextFile(
      file,
      [`${server.url}/fast`, "http://127.0.0.3:9/a", "http://127.0.0.4:9/b", "http://127.0.0.3:9/c"]
        .map((u) => `{"url":"${u}"}`).join("\n"),
    );
    const r = await bench(["--targets", file, "-n", "10", "--no-csv"], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      /No network permission for 127\.0\.0\.3:9, 127\.0\.0\.4:9: add --allow-net=127\.0\.0\.3:9,127\.0\.0\.4:9/,
    );
    assert.equal(server.seen.length, 0);
  });
});

Deno.test("bad targets input exits 2 with one line and sends nothing", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    const U = server.url;
    const cases: [string, string[], RegExp][] = [
      [`{"url":"${U}/fast"}\n{"url":}\n`, [], /bad\.txt, line 2: not a JSON object/],
      [`GET ${U}/fast\nno header here\n`, [], /bad\.txt, line 2: expected a "Name: value" header/],
      [`BREW ${U}/fast\n`, [], /line 1: unknown method "BREW"/],
      [`GET /fast\n`, [], /line 1: "\/fast" is not an absolute http\(s\) URL/],
      [
        `GET ${U}/fast\n@${dir}/missing.json\n`,
        [],
        /line 1: Cannot read body file .*missing\.json: no such file/,
      ],
      [`{"url":"${U}/fast","weight":0}`, [], /weight 0 is not a whole number/],
      [`{"url":"${U}/fast","weight":-1}`, [], /weight -1 is not a whole number/],
      [`{"url":"${U}/fast","weight":"NaN"}`, [], /weight "NaN" is not a whole number/],
      [
        `{"name":"a","url":"${U}/fast"}\n{"name":"a","url":"${U}/slow"}`,
        [],
        /line 2: target name "a" is already used on line 1/,
      ],
      ["\n", [], /bad\.txt: it holds no target/],
      [
        `{"url":"${U}/fast"}`,
        ["--sla", "infer:p95<=1s"],
        /names no target "infer"; the targets are: "GET \/fast"/,
      ],
      [`{"url":"${U}/fast"}`, ["--mix", "random"], /Unknown --mix "random"/],
      [`{"url":"${U}/fast"}`, ["--body", "x"], /Cannot combine --body with --targets/],
    ];
    for (const [text, extra, want] of cases) {
      const file = `${dir}/bad.txt`;
      await Deno.writeTextFile(file, text);
      const r = await bench(["--targets", file, "-n", "5", "--no-csv", ...extra], dir);
      assert.equal(r.code, 2, `${text}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, want);
    }
    // No targets file: a scope names no target; --mix needs --targets.
    const noTargets = await bench([`${U}/fast`, "-n", "5", "--no-csv", "--sla", "x:p95<=1s"], dir);
    assert.equal(noTargets.code, 2);
    assert.match(noTargets.stderr, /names no target "x"; the targets are: none/);
    const mix = await bench([`${U}/fast`, "-n", "5", "--no-csv", "--mix", "weighted"], dir);
    assert.match(mix.stderr, /--mix applies to --targets only/);
    const both = await bench([`${U}/fast`, "--targets", jsonl, "-n", "5", "--no-csv"], dir);
    assert.match(both.stderr, /Cannot combine a URL with --targets/);
    assert.equal(server.seen.length, 0);
  });
});

Deno.test("suite --targets sends both clients the same sequence and shows per-target A/B deltas", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    const out = `${dir}/suite`;
    const r = await runCli(
      [
        "suite",
        "--targets",
        jsonl,
        "--mix",
        "weighted",
        "--seed",
        "7",
        "-n",
        "200",
        "-c",
        "5",
        "--out-dir",
        out,
        "--sla",
        "slow:p95<=50ms",
        "--sla",
        "fast:p50<=50ms",
      ],
      { net: NET, writeDirs: [dir] },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /SLA\s+FAIL\s+slow:p95<=50ms/);
    assert.match(r.stdout, /SLA\s+PASS\s+fast:p50<=50ms/);
    assert.match(r.stdout, /requests: identical/);
    const table = r.stdout.slice(r.stdout.indexOf("per target"));
    for (const name of ["fast", "other", "slow"]) {
      assert.match(table, new RegExp(`^${name}\\s+\\d+\\s+\\d+\\s+[+-]`, "m"));
    }
    const report = JSON.parse(await Deno.readTextFile(`${out}/comparison_report.json`));
    const deltas = report.targets.deltas as {
      name: string;
      countA: number;
      countB: number;
      metrics: unknown[];
    }[];
    assert.deepEqual(deltas.map((d) => d.name).sort(), ["fast", "other", "slow"]);
    for (const d of deltas) {
      assert.equal(d.countA, d.countB);
      assert.equal(d.metrics.length, 4);
    }
    const seq = async (p: string) =>
      (await readAll(p)).sort((a, b) => a.id - b.id).map((x) => x.target);
    assert.deepEqual(
      await seq(`${out}/latency_optimized.csv`),
      await seq(`${out}/latency_baseline.csv`),
    );
    const html = await Deno.readTextFile(`${out}/report.html`);
    assert.match(html, /<table id="targets">/);
    assert.match(html, /optimized · slow/);
  });
});

Deno.test("report and compare of targets runs give per-target figures and deltas, an unknown scope exits 2", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    for (const name of ["a", "b"]) {
      const r = await bench([
        "--targets",
        jsonl,
        "-n",
        "200",
        "-c",
        "5",
        "-o",
        `${dir}/${name}.csv`,
      ], dir);
      assert.equal(r.code, 0, r.stderr);
    }
    const rep = await runCli(["report", `${dir}/a.csv`, "--json", "--sla", "slow:p50<=5s"]);
    assert.equal(rep.code, 0, rep.stderr);
    const doc = JSON.parse(rep.stdout);
    assert.deepEqual(doc.targets.map((t: { name: string }) => t.name), ["fast", "other", "slow"]);
    assert.equal(
      doc.targets.reduce((n: number, t: { summary: { count: number } }) => n + t.summary.count, 0),
      200,
    );
    assert.equal(doc.sla[0].target, "slow");
    const bad = await runCli(["report", `${dir}/a.csv`, "--sla", "slwo:p95<=1s"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /names no target "slwo"; the targets are: "fast", "other", "slow"/);
    const cmp = await runCli(["compare", `${dir}/a.csv`, `${dir}/b.csv`, "--json"]);
    assert.equal(cmp.code, 0, cmp.stderr);
    const c = JSON.parse(cmp.stdout);
    assert.deepEqual(c.targets.map((t: { name: string }) => t.name), ["fast", "other", "slow"]);
    assert.ok(c.targets.every((t: { metrics: unknown[] }) => t.metrics.length === 4));
    const text = await runCli(["compare", `${dir}/a.csv`, `${dir}/b.csv`]);
    assert.match(text.stdout, /B − A per target/);
  });
});

Deno.test("two shards of a targets run, merged, send the one-machine sequence", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    const common = ["--targets", jsonl, "--mix", "weighted", "--seed", "3", "-n", "200", "-c", "4"];
    const one = await bench([...common, "-o", `${dir}/one.csv`], dir);
    assert.equal(one.code, 0, one.stderr);
    for (const i of [0, 1]) {
      const r = await bench(
        [...common, "--shard", `${i}/2`, "--run-id", "t1", "-o", `${dir}/s${i}.csv`],
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
    }
    const m = await runCli(
      ["merge", `${dir}/s0.csv`, `${dir}/s1.csv`, "-o", `${dir}/all.csv`],
      { writeDirs: [dir] },
    );
    assert.equal(m.code, 0, m.stderr);
    const seq = async (p: string) =>
      (await readAll(p)).sort((a, b) => a.id - b.id).map((x) => [x.id, x.target]);
    assert.deepEqual(await seq(`${dir}/all.csv`), await seq(`${dir}/one.csv`));
  });
});

Deno.test("secrets in a targets file stay out of the JSON, the CSV and its sidecar", async () => {
  await withServer(async (server, dir) => {
    const file = `${dir}/sec.jsonl`;
    await Deno.writeTextFile(
      file,
      [
        `{"name":"a","url":"${server.url}/fast","header":{"Authorization":"Bearer sup3rs3cret-token"}}`,
        `{"name":"b","url":"${server.url}/other?api_key=k3y-v4lue-123","method":"POST","body":"x"}`,
      ].join("\n"),
    );
    const r = await bench(
      [
        "--targets",
        file,
        "-n",
        "10",
        "-o",
        `${dir}/s.csv`,
        "--json",
        "-",
        "--secret-header",
        "X-Extra: hush-hush-value",
      ],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const all = r.stdout + r.stderr + await Deno.readTextFile(`${dir}/s.csv`) +
      await Deno.readTextFile(`${dir}/s.csv.meta.json`);
    for (const secret of ["sup3rs3cret", "k3y-v4lue", "hush-hush"]) {
      assert.ok(!all.includes(secret), secret);
    }
    assert.equal(server.seen.length, 10);
  });
});

Deno.test("suite --targets --ladder sends every rung the same sequence and judges a scoped rule per rung", async () => {
  await withServer(async (server, dir) => {
    const { jsonl } = await writeTargets(dir, server.url, true);
    const out = `${dir}/ladder`;
    const r = await runCli(
      [
        "suite",
        "--targets",
        jsonl,
        "--ladder",
        "-n",
        "100",
        "-c",
        "4",
        "--block",
        "25",
        "--out-dir",
        out,
        "--sla",
        "slow:p50<=50ms",
      ],
      { net: NET, writeDirs: [dir] },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /slow:p50<=50ms\s.*FAIL/);
    const seq = async (p: string) =>
      (await readAll(p)).sort((a, b) => a.id - b.id).map((x) => x.target);
    const first = await seq(`${out}/latency_no-reuse.csv`);
    assert.deepEqual(first.slice(0, 4), ["slow", "fast", "other", "slow"]);
    for (const rung of ["small-pool", "keep-alive"]) {
      assert.deepEqual(await seq(`${out}/latency_${rung}.csv`), first);
    }
  });
});
