/**
 * The first ten minutes of a new user, against a server on 127.0.0.2 (a
 * loopback address that Deno's `--allow-net=127.0.0.1` does not cover, like
 * the user's own API): bench through `deno task bench` with the default
 * client and with optimized, a missing permission named, an installed
 * `tailgate` running `suite <url>`, and `compare` refusing a failed run.
 *
 * The server is a Deno-written HTTP/1.1-only server (tests/_http1_server.ts),
 * so these always run; the nginx case runs when nginx is installed and says
 * why it skips otherwise.
 */
import assert from "node:assert/strict";
import { readRecordBatches } from "../../lib/records/read_records.ts";
import { serveHttp1 } from "../_http1_server.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const TAG = `_first_contact_${Deno.pid}`;
const dec = new TextDecoder();

async function sh(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function rows(path: string) {
  const all = [];
  for await (const b of readRecordBatches(path)) all.push(...b);
  return all;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function removeRun(path: string): Promise<void> {
  for (const p of [path, `${path}.meta.json`]) await Deno.remove(p).catch(() => {});
}

/** Runs `deno task bench` the way the README tells a new user to. */
async function benchTask(url: string, extra: string[], out: string) {
  return await sh(Deno.execPath(), [
    "task",
    "-q",
    "bench",
    url,
    "-n",
    "200",
    "-c",
    "10",
    ...extra,
    "--out",
    out,
    "-q",
  ]);
}

async function assertBenchWorks(url: string, label: string): Promise<void> {
  const outDefault = `results/${TAG}_${label}_default.csv`;
  const outOpt = `results/${TAG}_${label}_optimized.csv`;
  try {
    const d = await benchTask(url, [], outDefault);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const rd = await rows(`${ROOT}${outDefault}`);
    assert.equal(rd.length, 200);
    assert.ok(rd.every((r) => r.status === 200), "every row status 200");
    assert.match(d.stdout, /protocol: HTTP\/1\.1/);

    const o = await benchTask(url, ["--client", "optimized"], outOpt);
    assert.equal(o.code, 0, o.stdout + o.stderr);
    const ro = await rows(`${ROOT}${outOpt}`);
    assert.equal(ro.length, 200);
    assert.ok(ro.every((r) => r.status === 200), "every row status 200");
    assert.match(
      o.stdout,
      /protocol: HTTP\/1\.1 keep-alive, up to 10 connections \(optimized chose it: /,
    );
    const meta = JSON.parse(await Deno.readTextFile(`${ROOT}${outOpt}.meta.json`));
    assert.equal(meta.config.protocol.protocol, "http/1.1");
    assert.equal(meta.config.protocol.client, "optimized");
  } finally {
    await removeRun(`${ROOT}${outDefault}`);
    await removeRun(`${ROOT}${outOpt}`);
  }
}

Deno.test("deno task bench against an HTTP/1.1-only server on 127.0.0.2: default and optimized both work", async () => {
  const server = serveHttp1();
  try {
    await assertBenchWorks(`${server.url}/`, "deno");
    assert.ok(server.requests() >= 400);
  } finally {
    await server.close();
  }
});

const nginx = await (async () => {
  try {
    const r = await new Deno.Command("nginx", { args: ["-v"], stderr: "piped" }).output();
    return r.success;
  } catch {
    return false;
  }
})();
if (!nginx) console.log("first_contact_test: nginx case SKIPPED: nginx is not installed");

Deno.test({
  name:
    "deno task bench against nginx (HTTP/1.1 only) on 127.0.0.2: default and optimized both work",
  ignore: !nginx,
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "tailgate_nginx_" });
    const probe = Deno.listen({ hostname: "127.0.0.2", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    await Deno.writeTextFile(
      `${prefix}/nginx.conf`,
      `worker_processes 1; daemon off; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http { access_log off; client_body_temp_path ${prefix}/b; proxy_temp_path ${prefix}/p;
  fastcgi_temp_path ${prefix}/f; uwsgi_temp_path ${prefix}/u; scgi_temp_path ${prefix}/s;
  server { listen 127.0.0.2:${port}; location / { return 200 "ok"; } } }
`,
    );
    const child = new Deno.Command("nginx", {
      args: ["-p", prefix, "-c", `${prefix}/nginx.conf`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      for (let i = 0; i < 50; i++) {
        try {
          (await Deno.connect({ hostname: "127.0.0.2", port })).close();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await assertBenchWorks(`http://127.0.0.2:${port}/`, "nginx");
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(prefix, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("bench without network permission for the target exits 2 naming --allow-net, leaving no file", async () => {
  const server = serveHttp1();
  const out = `results/${TAG}_denied.csv`;
  try {
    const r = await sh(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=.",
      "--allow-write=results",
      "main.ts",
      "bench",
      `${server.url}/`,
      "--out",
      out,
    ]);
    const lines = r.stderr.trim().split("\n");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.equal(
      lines[0],
      `tailgate bench: No network permission for 127.0.0.2:${server.port}: add --allow-net=127.0.0.2:${server.port} (or run through deno task bench)`,
    );
    assert.equal(server.requests(), 0);
    assert.equal(server.connections(), 0, "not even a probe connection");
    assert.equal(await exists(`${ROOT}${out}`), false);
  } finally {
    await server.close();
  }
});

Deno.test("an installed tailgate runs suite <url> and writes the four files", async () => {
  const server = serveHttp1();
  const dir = await Deno.makeTempDir({ prefix: "tailgate_fc_" });
  try {
    const install = await sh(Deno.execPath(), ["task", "install"], { DENO_INSTALL_ROOT: dir });
    assert.equal(install.code, 0, install.stderr);
    // A sidecar left by an earlier run must not survive beside the new CSV.
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(
      `${dir}/out/latency_optimized.csv.meta.json`,
      JSON.stringify({ config: { url: "http://elsewhere.example/" } }),
    );
    const r = await sh(`${dir}/bin/tailgate`, [
      "suite",
      `${server.url}/`,
      "-n",
      "100",
      "-c",
      "10",
      "--out-dir",
      `${dir}/out`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (
      const f of [
        "latency_baseline.csv",
        "latency_optimized.csv",
        "comparison_report.json",
        "report.html",
      ]
    ) {
      assert.ok(await exists(`${dir}/out/${f}`), `${f} written`);
    }
    assert.ok(r.stdout.trim().split("\n").length <= 15, `at most 15 lines:\n${r.stdout}`);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/out/comparison_report.json`));
    assert.equal(report.request_consistency.identical, true);
    assert.equal(report.request_consistency.method, "client-side digest");
    const metas = await Promise.all(
      ["baseline", "optimized"].map(async (role) =>
        JSON.parse(await Deno.readTextFile(`${dir}/out/latency_${role}.csv.meta.json`))
      ),
    );
    assert.deepEqual(metas.map((m) => m.config.client), ["baseline", "optimized"]);
    assert.deepEqual(metas.map((m) => m.config.url), [`${server.url}/`, `${server.url}/`]);
    assert.equal(metas[0].config.request_digest, metas[1].config.request_digest);
    assert.equal(metas[1].config.protocol.protocol, "http/1.1");
    assert.equal(report.config.mode, "interleaved", "interleaved by default against a URL");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compare of a good run against a run with 100% connection errors exits 4 naming the failed run", async () => {
  const server = serveHttp1();
  const good = `results/${TAG}_good.csv`;
  const bad = `results/${TAG}_bad.csv`;
  const l = Deno.listen({ hostname: "127.0.0.2", port: 0 });
  const closedPort = (l.addr as Deno.NetAddr).port;
  l.close();
  try {
    const a = await sh(Deno.execPath(), [
      "task",
      "-q",
      "bench",
      `${server.url}/`,
      "-n",
      "50",
      "-c",
      "5",
      "--out",
      good,
      "-q",
    ]);
    assert.equal(a.code, 0, a.stderr);
    const b = await sh(Deno.execPath(), [
      "task",
      "-q",
      "bench",
      `http://127.0.0.2:${closedPort}/`,
      "-n",
      "50",
      "-c",
      "5",
      "--out",
      bad,
      "-q",
    ]);
    assert.equal(b.code, 4, b.stdout + b.stderr);
    const r = await sh(Deno.execPath(), ["task", "-q", "compare", good, bad]);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(
      r.stderr.trim(),
      new RegExp(
        `^tailgate compare: Run B \\(${bad}\\) failed: none of its 50 requests succeeded \\(connect_refused 50\\)`,
      ),
    );
    assert.doesNotMatch(r.stdout, /throughput|faster|slower/, "no verdict printed");
  } finally {
    await server.close();
    await removeRun(`${ROOT}${good}`);
    await removeRun(`${ROOT}${bad}`);
  }
});

Deno.test("a redirect to a host not granted is recorded as the answer and never followed", async () => {
  const target = serveHttp1();
  const redirect = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(null, { status: 302, headers: { location: `${target.url}/` } }),
  );
  const out = `results/${TAG}_redirect.csv`;
  try {
    const r = await sh(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=.",
      "--allow-write=results",
      "main.ts",
      "bench",
      `http://127.0.0.1:${redirect.addr.port}/`,
      "--client",
      "baseline",
      "-n",
      "20",
      "-c",
      "2",
      "--out",
      out,
      "-q",
    ]);
    // One redirect rule for every profile (docs/failures.md): the 3xx is the answer, so the other
    // host is never contacted and needs no permission.
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /302: 20/);
    assert.doesNotMatch(r.stdout, /errors +other/, "not recorded as a request error");
    assert.equal(target.requests(), 0, "the redirect was not followed");
  } finally {
    await redirect.shutdown();
    await target.close();
    await removeRun(`${ROOT}${out}`);
  }
});
