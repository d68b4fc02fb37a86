/**
 * `bench --sla` with phase rules against a streaming (server-sent events)
 * endpoint on 127.0.0.2 that sends its headers at once and its first token
 * about 120 ms later (`tests/_sse_server.ts`): the first-token rule decides
 * the exit code, the per-phase summary is printed and in `--json`, and a
 * phase the run cannot have (TLS on http://) is inconclusive.
 */
import assert from "node:assert/strict";
import { startSseServer } from "../_sse_server.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

async function bench(url: string, extra: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.2",
      "--allow-read=.",
      "main.ts",
      "bench",
      url,
      "-m",
      "POST",
      "--body",
      '{"stream":true}',
      "-n",
      "60",
      "-c",
      "10",
      "--no-csv",
      "-q",
      ...extra,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bench gates on the first token: first_body.p95<=50ms exits 1, <=2s exits 0", async () => {
  const sse = await startSseServer({ seed: 11 });
  try {
    const url = `${sse.url}/v1/chat/completions`;
    const fail = await bench(url, ["--sla", "first_body.p95<=50ms"]);
    assert.equal(fail.code, 1, fail.stdout + fail.stderr);
    assert.match(fail.stdout, /first_body\.p95<=50ms .* n=60.*FAIL/);
    const pass = await bench(url, ["--sla", "first_body.p95<=2s", "--sla", "ttfb.p95<=300ms"]);
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    // The headers come at once; the first token about 120 ms later.
    const row = (name: string) =>
      new RegExp(`^${name}\\s+60\\s+(\\S+)ms\\s`, "m").exec(pass.stdout)?.[1];
    assert.ok(Number(row("ttfb")) < 20, pass.stdout);
    assert.ok(Number(row("first_body")) > 60, pass.stdout);
    const json = await bench(url, ["--sla", "tls.p95<=80ms", "--json", "-"]);
    assert.equal(json.code, 3, "no TLS on http://: inconclusive");
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.summary.phases.first_body.count, 60);
    assert.equal(doc.summary.phases.tls, undefined);
    assert.equal(doc.sla[0].verdict, "inconclusive");
    assert.match(doc.sla[0].note, /no request of the run has a tls phase/);
  } finally {
    await sse.close();
  }
});
