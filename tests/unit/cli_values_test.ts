/**
 * Values a user types, echoed or bounded: control bytes escaped, the rate
 * maximum named, byte sizes parsed, URL fragments masked (issue 22: L8, L11, H2).
 */
import assert from "node:assert/strict";
import {
  byteSizeOption,
  escapeControls,
  MAX_BODY_CAP,
  MAX_RATE,
  quoted,
  rateOption,
} from "../../lib/cli/_args.ts";
import { UsageError } from "../../lib/cli/_usage_error.ts";
import { REDACTED, Redactor, redactUrl } from "../../lib/redact.ts";
import { formatBytes } from "../../lib/read_bounded.ts";

Deno.test("escapeControls() turns ESC, CR, NUL and direction marks into visible escapes", () => {
  assert.equal(escapeControls("a\x1b[2J\rb\0c"), "a\\x1b[2J\\x0db\\x00c");
  assert.equal(escapeControls("x\u202ey\u2028"), "x\\u202ey\\u2028");
  assert.equal(escapeControls("GET ✓ plain"), "GET ✓ plain");
});

Deno.test("quoted() escapes quotes and cuts a long value", () => {
  assert.equal(quoted('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quoted("x".repeat(100)), `"${"x".repeat(80)}…"`);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(quoted("\x1b]0;pwned\x07"), /[\x00-\x1f]/);
});

Deno.test("rateOption() accepts exponents and names the maximum above it", () => {
  assert.equal(rateOption("--rate", "1e3"), 1000);
  assert.equal(rateOption("--rate", "600/m"), 10);
  assert.equal(rateOption("--rate", String(MAX_RATE)), MAX_RATE);
  assert.throws(
    () => rateOption("--rate", "1e12"),
    (e: unknown) =>
      e instanceof UsageError && /"1e12" is above the maximum of 1,000,000\/s/.test(e.message),
  );
  assert.throws(() => rateOption("--rate", "0"), /not a positive rate/);
  assert.throws(() => rateOption("--rate", "fast"), /not a positive rate/);
});

Deno.test("byteSizeOption() reads binary units and refuses sizes above the cap", () => {
  assert.equal(byteSizeOption("--max-body", "128MiB", MAX_BODY_CAP), 128 << 20);
  assert.equal(byteSizeOption("--max-body", "512k", MAX_BODY_CAP), 512 << 10);
  assert.equal(byteSizeOption("--max-body", "1 GiB", MAX_BODY_CAP), 1 << 30);
  assert.equal(byteSizeOption("--max-body", "1000", MAX_BODY_CAP), 1000);
  assert.throws(
    () => byteSizeOption("--max-body", "2GiB", MAX_BODY_CAP),
    /above the maximum of 1 GiB/,
  );
  assert.throws(() => byteSizeOption("--max-body", "lots", MAX_BODY_CAP), /is not a size/);
  assert.throws(() => byteSizeOption("--max-body", "0", MAX_BODY_CAP), /is not a size/);
});

Deno.test("formatBytes() names a size in its largest binary unit", () => {
  assert.equal(formatBytes(64 << 20), "64 MiB");
  assert.equal(formatBytes(1 << 20), "1 MiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(10), "10 B");
});

Deno.test("redactUrl() masks a fragment, parsed or not", () => {
  assert.equal(
    redactUrl("https://app.example.com/cb?q=1#access_token=abc.def&state=x"),
    `https://app.example.com/cb?q=1#${REDACTED}`,
  );
  assert.equal(redactUrl("app.example.com/cb#access_token=abc"), `app.example.com/cb#${REDACTED}`);
  assert.equal(redactUrl("http://127.0.0.1/api"), "http://127.0.0.1/api");
});

Deno.test("Redactor.forRequest() masks a fragment and each value in it wherever they appear", () => {
  const r = Redactor.forRequest("http://127.0.0.1/api#access_token=tok-98765&state=st4te", []);
  const text = r.text("url http://127.0.0.1/api#access_token=tok-98765&state=st4te, tok-98765");
  assert.doesNotMatch(text, /tok-98765|st4te/);
  assert.equal(r.url("http://127.0.0.1/api#anything"), `http://127.0.0.1/api#${REDACTED}`);
});
