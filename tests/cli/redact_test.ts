import assert from "node:assert/strict";
import { isSecretHeader, REDACTED, Redactor, redactUrl } from "../../lib/redact.ts";

Deno.test("isSecretHeader() knows credential headers by name, any case", () => {
  for (const n of ["Authorization", "cookie", "X-API-Key", "Proxy-Authorization", "X-Auth-Token"]) {
    assert.equal(isSecretHeader(n), true, n);
  }
  for (const n of ["Content-Type", "Accept", "X-Request-Id", "User-Agent"]) {
    assert.equal(isSecretHeader(n), false, n);
  }
  assert.equal(isSecretHeader("X-Tenant", new Set(["x-tenant"])), true);
});

Deno.test("redactUrl() masks user info and credential query parameters", () => {
  assert.equal(
    redactUrl("https://bob:hunter2@api.example.com/v1?api_key=abc&q=1&access_token=zz"),
    `https://${REDACTED}:${REDACTED}@api.example.com/v1?api_key=${REDACTED}&q=1&access_token=${REDACTED}`,
  );
  assert.equal(redactUrl("http://127.0.0.1:8080/api?id=3"), "http://127.0.0.1:8080/api?id=3");
  assert.equal(redactUrl("not a url"), "not a url");
  // Unparseable or schemeless input is masked by pattern.
  assert.equal(
    redactUrl("http://bob:pw1@exa mple/api?token=abc&q=1"),
    `http://${REDACTED}@exa mple/api?token=${REDACTED}&q=1`,
  );
  assert.equal(redactUrl("bob:pw1@host/api"), `${REDACTED}@host/api`);
});

Deno.test("Redactor.forRequest() masks secret header values everywhere they appear", () => {
  const r = Redactor.forRequest(
    "https://u:pa55word@example.test/x?token=tok-123",
    [
      ["Authorization", "Bearer eyJhbGciOi.secret.part"],
      ["X-Custom", "visible-value"],
      ["X-Tenant", "tenant-key-777"],
      ["Cookie", "session=abcd1234; theme=dark"],
    ],
    new Set(["x-tenant"]),
  );
  const log =
    "failed: Bearer eyJhbGciOi.secret.part / tenant-key-777 / abcd1234 / pa55word / tok-123";
  const out = r.text(log);
  for (
    const secret of ["eyJhbGciOi.secret.part", "tenant-key-777", "abcd1234", "pa55word", "tok-123"]
  ) {
    assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  }
  assert.ok(out.startsWith("failed: "), "ordinary text survives");
  assert.equal(r.text("token only: eyJhbGciOi.secret.part"), `token only: ${REDACTED}`);
  assert.deepEqual(
    r.headers([["Authorization", "Bearer x"], ["X-Custom", "visible-value"], ["x-tenant", "t"]]),
    [["Authorization", REDACTED], ["X-Custom", "visible-value"], ["x-tenant", REDACTED]],
  );
  assert.ok(!r.url("https://u:pa55word@example.test/x?token=tok-123").includes("pa55word"));
});

Deno.test("Redactor ignores very short values so ordinary text survives", () => {
  const r = new Redactor(["ab", "longsecret"]);
  assert.equal(r.text("ab longsecret"), `ab ${REDACTED}`);
});

Deno.test("bench writes no secret to stdout, stderr, CSV, JSON or the run sidecar", async () => {
  const { serveMock } = await import("../../mock/server.ts");
  const root = new URL("../..", import.meta.url).pathname;
  const server = serveMock({ rttMs: 1, setupRtts: 0, serviceMedianMs: 2, slowRate: 0, port: 0 });
  const tag = `results/_redact_${Deno.pid}`;
  const secrets = ["tok-XYZ-4242", "tenant-secret-99", "keyval123", "cookieval777"];
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1,localhost",
        "--allow-read=.",
        "--allow-write=results",
        "main.ts",
        "bench",
        `${server.url}/api?api_key=keyval123`,
        "-n",
        "10",
        "-c",
        "2",
        "-H",
        "Authorization: Bearer tok-XYZ-4242",
        "-H",
        "Cookie: sid=cookieval777",
        "--secret-header",
        "X-Tenant: tenant-secret-99",
        "--out",
        `${tag}.csv`,
        "--json",
        `${tag}.json`,
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const texts = [
      new TextDecoder().decode(out.stdout),
      new TextDecoder().decode(out.stderr),
      await Deno.readTextFile(`${root}${tag}.csv`),
      await Deno.readTextFile(`${root}${tag}.json`),
      await Deno.readTextFile(`${root}${tag}.csv.meta.json`),
    ];
    for (const text of texts) {
      for (const s of secrets) assert.ok(!text.includes(s), `${s} leaked into:\n${text}`);
    }
    const doc = JSON.parse(texts[3]!);
    assert.ok(
      doc.config.headers.some((h: [string, string]) => h[0] === "X-Tenant" && h[1] === REDACTED),
    );
    assert.ok(doc.config.url.includes(`api_key=${REDACTED}`));
  } finally {
    await server.close();
    for (const f of [`${tag}.csv`, `${tag}.json`, `${tag}.csv.meta.json`]) {
      await Deno.remove(`${root}${f}`).catch(() => {});
    }
  }
});
