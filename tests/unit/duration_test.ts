import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../lib/duration.ts";

Deno.test("parseDuration() reads ms, s, m, h and us", () => {
  assert.equal(parseDuration("800ms"), 800);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("500us"), 0.5);
  assert.equal(parseDuration(" 30S "), 30_000);
});

Deno.test("parseDuration() rejects a missing or unknown unit with a fix", () => {
  assert.throws(() => parseDuration("800"), {
    name: "SyntaxError",
    message: /missing unit; write e\.g\. 800ms/,
  });
  assert.throws(() => parseDuration("5d"), /unknown unit "d"/);
  assert.throws(() => parseDuration("fast"), SyntaxError);
  assert.throws(() => parseDuration("-1s"), SyntaxError);
});

Deno.test("formatDuration() picks a readable unit", () => {
  assert.equal(formatDuration(850), "850ms");
  assert.equal(formatDuration(1250), "1.25s");
  assert.equal(formatDuration(125_000), "2m05s");
});
