import assert from "node:assert/strict";
import { parseShard, shardRequestId, shardSchedule, shardShare } from "../../lib/load/shard.ts";

Deno.test("parseShard() reads i/N with a 0-based index", () => {
  assert.deepEqual(parseShard("0/4"), { index: 0, count: 4 });
  assert.deepEqual(parseShard("3/4"), { index: 3, count: 4 });
  assert.deepEqual(parseShard(" 0 / 1 "), { index: 0, count: 1 });
});

Deno.test("parseShard() rejects malformed and out-of-range shards with a fix hint", () => {
  for (
    const [text, hint] of [
      ["4/4", /must be below 4, i\.e\. 0\/4 to 3\/4/],
      ["0/0", /at least 1/],
      ["1", /INDEX\/COUNT/],
      ["-1/4", /INDEX\/COUNT/],
      ["1.5/4", /INDEX\/COUNT/],
      ["a/b", /INDEX\/COUNT/],
      ["", /INDEX\/COUNT/],
      ["99999999999999999999/99999999999999999999", /too large/],
    ] as const
  ) {
    assert.throws(() => parseShard(text), (err: unknown) => {
      assert.ok(err instanceof SyntaxError, `${text}: ${err}`);
      assert.match(err.message, hint);
      return true;
    });
  }
});

Deno.test("shardShare() splits a total into shares that differ by one and sum to it", () => {
  assert.deepEqual([0, 1, 2].map((i) => shardShare(10, i, 3)), [4, 3, 3]);
  assert.deepEqual([0, 1, 2, 3].map((i) => shardShare(2, i, 4)), [1, 1, 0, 0]);
  for (let total = 0; total <= 50; total++) {
    for (let count = 1; count <= 7; count++) {
      const shares = Array.from({ length: count }, (_, i) => shardShare(total, i, count));
      assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total}/${count}`);
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
      // Earlier workers get the remainder: shares never increase with the index.
      for (let i = 1; i < count; i++) assert.ok(shares[i]! <= shares[i - 1]!);
    }
  }
  assert.equal(shardShare(7, 0, 1), 7);
});

Deno.test("shardShare() rejects bad totals and shards", () => {
  assert.throws(() => shardShare(-1, 0, 2), RangeError);
  assert.throws(() => shardShare(1.5, 0, 2), RangeError);
  assert.throws(() => shardShare(10, 2, 2), RangeError);
  assert.throws(() => shardShare(10, 0, 0), RangeError);
  assert.throws(() => shardShare(10, -1, 2), RangeError);
});

Deno.test("shardSchedule() makes the union of all workers evenly spaced at the total rate", () => {
  assert.deepEqual(shardSchedule(100, 1, 4), { rate: 25, offsetMs: 10 });
  assert.deepEqual(shardSchedule(100, 0, 1), { rate: 100, offsetMs: 0 });
  const rate = 30;
  const count = 4;
  const perWorker = 5;
  const due: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = shardSchedule(rate, i, count);
    for (let k = 0; k < perWorker; k++) due.push(s.offsetMs + (k * 1000) / s.rate);
  }
  due.sort((a, b) => a - b);
  for (let j = 0; j < due.length; j++) {
    assert.ok(Math.abs(due[j]! - (j * 1000) / rate) < 1e-9, `slot ${j}: ${due[j]}`);
  }
});

Deno.test("shardSchedule() rejects a non-positive rate", () => {
  assert.throws(() => shardSchedule(0, 0, 2), RangeError);
  assert.throws(() => shardSchedule(Number.NaN, 0, 2), RangeError);
  assert.throws(() => shardSchedule(10, 3, 2), RangeError);
});

Deno.test("shardRequestId() gives ids unique across workers", () => {
  assert.equal(shardRequestId(5, 2, 3), 17);
  assert.equal(shardRequestId(0, 0, 1), 0);
  const seen = new Set<number>();
  for (let i = 0; i < 5; i++) {
    for (let local = 0; local < 40; local++) seen.add(shardRequestId(local, i, 5));
  }
  assert.equal(seen.size, 200);
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 200 }, (_, j) => j));
  assert.throws(() => shardRequestId(-1, 0, 2), RangeError);
  assert.throws(() => shardRequestId(0, 2, 2), RangeError);
});
