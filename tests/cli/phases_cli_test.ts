/**
 * `bench` against a streaming (server-sent events) endpoint on 127.0.0.2
 * writes the phase columns: the first token in `first_body_ms`, the early
 * headers in `ttfb_ms`, and `connect_ms` on the request that opened each
 * connection (`conn`). The server runs in this process and measures its own
 * first-token delays.
 */
import assert from "node:assert/strict";
import { CSV_HEADER } from "../../lib/record.ts";
import { nearestRank, startSseServer } from "../_sse_server.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("bench against an SSE endpoint writes first_body_ms (the first token), ttfb_ms (the headers), connect_ms and conn", async () => {
  const sse = await startSseServer({ seed: 5 });
  const dir = await Deno.makeTempDir({ prefix: "tailgate_phases_" });
  try {
    const out = `${dir}/sse.csv`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net=127.0.0.2",
        `--allow-read=.,${dir}`,
        `--allow-write=${dir}`,
        "main.ts",
        "bench",
        `${sse.url}/v1/chat/completions`,
        "-m",
        "POST",
        "--body",
        '{"stream":true}',
        "-n",
        "60",
        "-c",
        "10",
        "--warmup",
        "10",
        "--out",
        out,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, stderr);
    const [header, ...lines] = (await Deno.readTextFile(out)).trim().split("\n");
    assert.equal(header, CSV_HEADER);
    const col = (name: string) => CSV_HEADER.split(",").indexOf(name);
    const all = lines.map((l) => l.split(","));
    const rows = all.filter((r) => r[col("warmup")] === "0");
    assert.equal(rows.length, 60);
    const num = (r: string[], name: string) => r[col(name)] === "" ? null : Number(r[col(name)]);
    const firstBody = rows.map((r) => num(r, "first_body_ms"));
    assert.ok(firstBody.every((v) => v !== null && v > 0), "every row has its first token");
    const ttfb50 = nearestRank(rows.map((r) => num(r, "ttfb_ms")!), 50);
    const body50 = nearestRank(firstBody as number[], 50);
    // The first ten requests to arrive are the warm-up (one per worker, the first sent).
    const server = sse.firstTokenMs().slice(10);
    assert.equal(server.length, 60);
    const server50 = nearestRank(server, 50);
    assert.ok(ttfb50 < 20, `the headers come at once: ttfb P50 ${ttfb50} ms`);
    assert.ok(
      Math.abs(body50 - server50) <= 3,
      `first_body P50 ${body50} ms vs the server's ${server50} ms`,
    );
    // Connections are opened by the warm-up here: count over every row.
    const conns = new Set(all.map((r) => num(r, "conn")));
    assert.ok(!conns.has(null));
    const openers = all.filter((r) => num(r, "connect_ms") !== null);
    assert.deepEqual(
      openers.map((r) => num(r, "conn")).sort((a, b) => a! - b!),
      [...conns].sort((a, b) => a! - b!),
      "one row per connection carries its connect",
    );
    assert.ok(all.every((r) => r[col("tls_ms")] === ""), "plain HTTP: no TLS phase");
  } finally {
    await sse.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report rejects a malformed phase value in another tool's file with one line, exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_phases_" });
  try {
    const cases: [string, string, RegExp][] = [
      [
        "k6.csv",
        "metric_name,timestamp,metric_value,status,url,metadata\n" +
        "http_req_duration,1700000000,12.5,200,u,vu=1\n" +
        "http_req_connecting,1700000000,abc,200,u,vu=1\n",
        /k6 CSV line 3: column metric_value is not a number/,
      ],
      [
        "hey.csv",
        "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n" +
        "0.0050,-0.0003,0.0000,0.0000,0.0045,0.0001,200,0.0001\n",
        /hey CSV line 2: the connect time -0\.3 ms is outside 0 to 24 h/,
      ],
    ];
    for (const [name, text, message] of cases) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", `--allow-read=.,${dir}`, "main.ts", "report", `${dir}/${name}`],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 2, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
