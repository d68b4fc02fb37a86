import assert from "node:assert/strict";
import { requestDigest, RequestTally, tallied } from "../../lib/client/request_digest.ts";
import type { Client, HttpRequest } from "../../lib/client/types.ts";

const req = (body: string | null, headers: [string, string][] = []): HttpRequest => ({
  url: "http://127.0.0.2:8081/api",
  method: "POST",
  headers,
  body: body === null ? null : new TextEncoder().encode(body),
});

Deno.test("requestDigest() changes with any part of the request and nothing else", async () => {
  const a = await requestDigest(req("{}"));
  assert.equal(a, await requestDigest(req("{}")));
  assert.notEqual(a, await requestDigest(req("{ }")));
  assert.notEqual(a, await requestDigest(req(null)));
  assert.notEqual(a, await requestDigest(req("{}", [["x-a", "1"]])));
  assert.notEqual(a, await requestDigest({ ...req("{}"), method: "PUT" }));
  assert.equal(
    await requestDigest(req("{}", [["X-A", "1"]])),
    await requestDigest(req("{}", [["x-a", "1"]])),
    "header names are case-insensitive",
  );
});

Deno.test("RequestTally sums per-request digests in any order, and tallied() counts every send", async () => {
  const fake: Client = {
    name: "fast",
    send: () =>
      Promise.resolve({ startedMs: 0, endMs: 1, ttfbMs: 1, status: 200, bytes: 2, error: "" }),
    close: () => Promise.resolve(),
  };
  const [x, y] = [req("1"), req("2")];
  const t1 = new RequestTally();
  const c1 = tallied(fake, t1);
  for (const r of [x, y, x]) await c1.send(r);
  const t2 = new RequestTally();
  const c2 = tallied(fake, t2);
  for (const r of [x, x, y]) await c2.send(r);
  const t3 = new RequestTally();
  for (const r of [x, y, y]) t3.add(r);
  const [r1, r2, r3] = [await t1.result(), await t2.result(), await t3.result()];
  assert.equal(r1.count, 3);
  assert.deepEqual(r1, r2);
  assert.notEqual(r1.sha256_sum, r3.sha256_sum);
});
