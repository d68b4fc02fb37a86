import assert from "node:assert/strict";
import { isSecretHeader, REDACTED, Redactor, redactUrl } from "../lib/redact.ts";

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
