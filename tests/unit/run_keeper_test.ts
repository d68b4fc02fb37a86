import assert from "node:assert/strict";
import { RunKeeper } from "../../lib/records/load_run.ts";
import { timeOrdered } from "../../lib/stats/bootstrap.ts";
import { okRecord } from "../_record.ts";

const rec = okRecord;

Deno.test("RunKeeper.series() holds measured successes in start-time order", () => {
  const keep = new RunKeeper({ series: true, intervals: true });
  keep.add(rec(2, 30, 3));
  keep.add(rec(0, 10, 1));
  keep.add(rec(9, 5, 100, { warmup: true }));
  keep.add(rec(1, 20, 2, { status: 0, error: "timeout" }));
  keep.add(rec(3, 10, 4)); // same start as id 0: arrival order breaks the tie
  assert.deepEqual([...keep.series()!], [1, 4, 3]);
  assert.deepEqual([...keep.intervals()!.starts], [30, 10, 20, 10]);
  assert.equal(keep.records, null);
  assert.equal(keep.builder.summary().count, 4);
});

Deno.test("RunKeeper.keep() does not add to the summary a second time", () => {
  const keep = new RunKeeper({ records: true });
  const r = rec(0, 0, 5);
  keep.builder.add(r);
  keep.keep(r);
  assert.equal(keep.builder.summary().count, 1);
  assert.equal(keep.records!.length, 1);
  assert.equal(keep.series(), null);
});

Deno.test("timeOrdered() orders by start, ties by the given keys or else by position", () => {
  assert.deepEqual([...timeOrdered([5, 2, 2], [30, 10, 20], [9, 4, 3])], [20, 10, 30]);
  assert.deepEqual([...timeOrdered([5, 2, 2], [30, 10, 20])], [10, 20, 30]);
  assert.deepEqual([...timeOrdered([], [])], []);
});
