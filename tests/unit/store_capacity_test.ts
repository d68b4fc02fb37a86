import assert from "node:assert/strict";
import { storeCapacity } from "../../lib/load/bench_run.ts";

Deno.test("storeCapacity() takes the count when known, whatever the duration", () => {
  assert.equal(storeCapacity(400, 10_000), 400);
  assert.equal(storeCapacity(10_000_000, undefined), 10_000_000);
});

Deno.test("storeCapacity() reserves a timed run's room at 250,000 a second, within its bounds", () => {
  assert.equal(storeCapacity(null, 10_000), 2_500_000);
  assert.equal(storeCapacity(null, 100), 65_536, "at least 65,536");
  assert.equal(storeCapacity(null, 3_600_000), 2 ** 25, "at most 2^25 (128 MiB of address space)");
});
