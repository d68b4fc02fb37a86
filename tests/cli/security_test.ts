/**
 * Security properties of issue 6: the mock binds loopback only unless told
 * `--public`, `--public` turns the admin endpoint off, and secrets given to
 * `bench` never show up in anything it writes — failures and error
 * messages included.
 */
import assert from "node:assert/strict";
import { isLoopback, serveMock } from "../../mock/server.ts";
import { readServeUrl } from "../_cli.ts";
import { closedPort, QUICK_MOCK } from "../_fault_matrix.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const dec = new TextDecoder();

Deno.test("isLoopback() accepts loopback addresses only", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "LOCALHOST"]) {
    assert.equal(isLoopback(h), true, h);
  }
  for (
    const h of [
      "0.0.0.0",
      "::",
      "10.0.0.1",
      "192.168.1.10",
      "127.0.0.1.evil.example",
      "example.com",
    ]
  ) {
    assert.equal(isLoopback(h), false, h);
  }
});

Deno.test("serveMock() refuses a non-loopback address unless public", () => {
  for (const hostname of ["0.0.0.0", "::", "192.168.1.10"]) {
    assert.throws(
      () => serveMock({ ...QUICK_MOCK, hostname, port: 0 }),
      (err: unknown) =>
        err instanceof TypeError && /Refusing to bind non-loopback interface/.test(err.message) &&
        /--public/.test(err.message),
      hostname,
    );
  }
});

Deno.test("tailgate serve refuses a non-loopback address without --public", async () => {
  // Net permission for 0.0.0.0 is granted, so a refusal is tailgate's, not Deno's; the timeout
  // kills the process if it ever did bind.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=0.0.0.0,127.0.0.1",
      MAIN,
      "serve",
      "--hostname",
      "0.0.0.0",
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal: AbortSignal.timeout(15_000),
  }).output();
  const stderr = dec.decode(out.stderr);
  assert.equal(out.code, 2, stderr);
  assert.match(stderr, /Refusing to bind non-loopback interface "0\.0\.0\.0"/);
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(dec.decode(out.stdout), /listening/);
});

Deno.test("serveMock() serves /admin/faults on loopback and disables it when public", async () => {
  const local = serveMock({ ...QUICK_MOCK, port: 0 });
  const pub = serveMock({ ...QUICK_MOCK, port: 0, public: true });
  try {
    const ok = await fetch(`${local.url}/admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ errorRate: 0.5 }),
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(local.app.config.errorRate, 0.5);

    for (const method of ["GET", "POST"]) {
      const res = await fetch(`${pub.url}/admin/faults`, {
        method,
        headers: { "content-type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify({ errorRate: 1 }) } : {}),
      });
      assert.equal(res.status, 404, method);
      await res.body?.cancel();
    }
    assert.equal(pub.app.config.errorRate, 0, "the public mock's faults did not change");
    const api = await fetch(`${pub.url}/api?id=1`);
    assert.equal(api.status, 200, "the public mock still serves /api");
    await api.body?.cancel();
  } finally {
    await local.close();
    await pub.close();
  }
});

Deno.test("tailgate serve --public disables /admin/faults", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      MAIN,
      "serve",
      "--public",
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  try {
    const { url, text } = await readServeUrl(child.stdout);
    assert.ok(url, `no URL in: ${text}`);
    const post = await fetch(`${url}/admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ resetRate: 1 }),
    });
    assert.equal(post.status, 404);
    await post.body?.cancel();
    const get = await fetch(`${url}/admin/faults`);
    assert.equal(get.status, 404);
    await get.body?.cancel();
    const stats = await (await fetch(`${url}/stats`)).json();
    assert.equal(stats.config.resetRate, 0);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
  }
});

const SECRETS = {
  bearer: "s3cr3t-bearer-token-91f2",
  apiKey: "apikey-77c1-secret",
  tenant: "tenant-secret-5e0a",
  password: "hunter2-pass-word",
  query: "query-key-31b9",
};

/** Runs `main.ts bench` with write access to `dir`. */
async function benchCli(args: string[], dir: string): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-read",
      `--allow-write=${dir}`,
      "--allow-env=NO_COLOR",
      MAIN,
      "bench",
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

function assertNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    assert.ok(!text.includes(value), `${where} contains the ${name} secret`);
  }
}

Deno.test("bench keeps secrets out of its output, CSV and JSON when every request fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate-secrets-" });
  const port = closedPort();
  const server = serveMock({ ...QUICK_MOCK, errorRate: 1, port: 0 });
  try {
    for (
      const [label, base] of [
        ["refused", `http://127.0.0.1:${port}`],
        ["http 500", server.url],
      ]
    ) {
      const url = base!.replace("http://", `http://bob:${SECRETS.password}@`) +
        `/api?api_key=${SECRETS.query}&q=1`;
      const { code, text } = await benchCli([
        url,
        "--client",
        "h1",
        "-n",
        "4",
        "-c",
        "2",
        "--timeout",
        "2s",
        "-H",
        `Authorization: Bearer ${SECRETS.bearer}`,
        "-H",
        `X-Api-Key: ${SECRETS.apiKey}`,
        "--secret-header",
        `X-Tenant: ${SECRETS.tenant}`,
        "--out",
        `${dir}/run.csv`,
        "--json",
        `${dir}/run.json`,
      ], dir);
      assert.equal(code, 4, `${label}: ${text}`);
      assert.match(text, /\[REDACTED\]/, `${label}: the URL is shown redacted`);
      assertNoSecret(text, `${label}: stdout/stderr`);
      assertNoSecret(await Deno.readTextFile(`${dir}/run.csv`), `${label}: CSV`);
      const json = await Deno.readTextFile(`${dir}/run.json`);
      assertNoSecret(json, `${label}: JSON`);
      assert.match(json, /"Authorization",\s*"\[REDACTED\]"/, `${label}: header listed, masked`);
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench usage errors about a header never show its value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate-secrets-" });
  try {
    const url = `http://127.0.0.1:${closedPort()}/api`;
    // A space instead of the colon: the message names the header only.
    const { code, text } = await benchCli(
      [url, "-n", "1", "--no-csv", "-H", `Authorization Bearer ${SECRETS.bearer}`],
      dir,
    );
    assert.equal(code, 2, text);
    assert.match(text, /Malformed --header "Authorization …"/);
    assertNoSecret(text, "usage error");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "bench usage errors never echo a URL password or a header value without a separator",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tailgate-secrets-" });
    try {
      const badUrl = await benchCli(
        [`http://bob:${SECRETS.password}@exa%20mple/api`, "-n", "1", "--no-csv"],
        dir,
      );
      assert.equal(badUrl.code, 2, badUrl.text);
      assertNoSecret(badUrl.text, "invalid URL error");
      const badHeader = await benchCli(
        [
          `http://127.0.0.1:${closedPort()}/api`,
          "-n",
          "1",
          "--no-csv",
          "-H",
          "Authorization=s3cr3tTok",
        ],
        dir,
      );
      assert.equal(badHeader.code, 2, badHeader.text);
      assert.ok(!badHeader.text.includes("s3cr3tTok"), badHeader.text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
