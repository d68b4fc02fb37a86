/**
 * HTTPS against the mock served with the test certificate in
 * tests/testdata (a throwaway CA; see gen_certs.sh).
 */
import assert from "node:assert/strict";
import { createClient, PROFILES } from "../../lib/client/mod.ts";
import { readRecordBatches } from "../../lib/records/read_records.ts";
import { serveMock } from "../../mock/server.ts";
import { FAST_MOCK } from "../_stall_mock.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const DATA = `${ROOT}tests/testdata`;
const CA = await Deno.readTextFile(`${DATA}/ca.pem`);
const TLS = {
  cert: await Deno.readTextFile(`${DATA}/server.pem`),
  key: await Deno.readTextFile(`${DATA}/server-key.pem`),
};
const PERMS = ["--allow-net=127.0.0.1,localhost", "--allow-read=.", "--allow-write=results"];

Deno.test("every client profile reaches the HTTPS mock when trusting the test CA", async () => {
  const server = serveMock({ ...FAST_MOCK, ...TLS, port: 0 });
  try {
    assert.match(server.url, /^https:\/\//);
    for (const profile of PROFILES) {
      const client = createClient(profile, { concurrency: 2, timeoutMs: 5000, caCerts: [CA] });
      try {
        const o = await client.send({
          url: `${server.url}/api?id=1`,
          method: "GET",
          headers: [],
          body: null,
        });
        assert.equal(o.status, 200, `${profile}: ${o.error}`);
        assert.equal(o.error, "");
        assert.ok(o.bytes > 0);
      } finally {
        await client.close();
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("an untrusted certificate is a tls error, not a crash", async () => {
  const server = serveMock({ ...FAST_MOCK, ...TLS, port: 0 });
  const client = createClient("h1", { concurrency: 1, timeoutMs: 5000 });
  try {
    const o = await client.send({
      url: `${server.url}/api`,
      method: "GET",
      headers: [],
      body: null,
    });
    assert.equal(o.status, 0);
    assert.equal(o.error, "tls");
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("bench --ca-cert runs over HTTPS; without it the run fails with exit 4", async () => {
  const server = serveMock({ ...FAST_MOCK, ...TLS, port: 0 });
  const csv = `results/_https_${Deno.pid}.csv`;
  const run = async (extra: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMS,
        "main.ts",
        "bench",
        `${server.url}/api`,
        "-n",
        "20",
        "-c",
        "4",
        "--timeout",
        "5s",
        "--out",
        csv,
        ...extra,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  try {
    const ok = await run(["--ca-cert", "tests/testdata/ca.pem", "--sla", "error_rate<=0%"]);
    assert.equal(ok.code, 0, ok.stdout);
    let rows = 0;
    for await (const batch of readRecordBatches(`${ROOT}${csv}`)) {
      rows += batch.length;
      assert.ok(batch.every((r) => r.status === 200));
    }
    assert.equal(rows, 20);
    const bad = await run([]);
    assert.equal(bad.code, 4, bad.stdout);
    // HTTP/2 shares one connection attempt: the first request reports the
    // certificate error, requests queued on it may report a cancelled connect.
    assert.match(bad.stdout, /errors +tls: \d+/);
    assert.match(bad.stdout, /none of 20 requests succeeded/);
  } finally {
    await server.close();
    for (const f of [csv, `${csv}.meta.json`]) await Deno.remove(`${ROOT}${f}`).catch(() => {});
  }
});
