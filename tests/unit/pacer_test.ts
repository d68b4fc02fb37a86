import assert from "node:assert/strict";
import {
  createPacer,
  decideStart,
  planWake,
  schedulePacer,
  SPIN_LEAD_MS,
} from "../../lib/load/pacer.ts";

Deno.test("createPacer() schedules request k at k/rate whatever the elapsed time", () => {
  const p = createPacer({ rate: 4 });
  assert.deepEqual(p.pace(0, 0), { waitMs: 0, dueMs: 0, stop: false });
  assert.deepEqual(p.pace(10, 1), { waitMs: 240, dueMs: 250, stop: false });
  assert.deepEqual(p.pace(250, 1), { waitMs: 0, dueMs: 250, stop: false });
  // Behind schedule (a slow response held the loop): no wait, and the due time does not move.
  assert.deepEqual(p.pace(2000, 2), { waitMs: 0, dueMs: 500, stop: false });
  assert.equal(p.pace(0, 400).dueMs, 100_000);
});

Deno.test("createPacer() stops at the request count", () => {
  const p = createPacer({ rate: 100, maxRequests: 3 });
  assert.equal(p.pace(0, 2).stop, false);
  assert.equal(p.pace(0, 3).stop, true);
  assert.equal(p.pace(1e9, 3).stop, true);
});

Deno.test("createPacer() stops at the first request due at or after the duration", () => {
  const p = createPacer({ rate: 10, durationMs: 1000 });
  const sent = [];
  for (let k = 0; k < 1000 && !p.pace(0, k).stop; k++) sent.push(k);
  assert.equal(sent.length, 10); // due at 0, 100, ..., 900 ms
});

Deno.test("createPacer() shifts the schedule by the offset (sharded workers interleave)", () => {
  const a = createPacer({ rate: 50, offsetMs: 0 });
  const b = createPacer({ rate: 50, offsetMs: 10 });
  const due = [0, 1, 2].flatMap((k) => [a.pace(0, k).dueMs, b.pace(0, k).dueMs]);
  assert.deepEqual(due, [0, 10, 20, 30, 40, 50]);
  assert.equal(b.pace(0, 0).waitMs, 10);
  const limited = createPacer({ rate: 50, offsetMs: 10, durationMs: 40 });
  assert.equal(limited.pace(0, 1).stop, false);
  assert.equal(limited.pace(0, 2).stop, true);
});

Deno.test("createPacer() rejects a bad rate or bound", () => {
  for (const rate of [0, -1, NaN, Infinity]) {
    assert.throws(() => createPacer({ rate }), RangeError);
  }
  assert.throws(() => createPacer({ rate: 1, offsetMs: -1 }), RangeError);
  assert.throws(() => createPacer({ rate: 1, maxRequests: -1 }), RangeError);
  assert.throws(() => createPacer({ rate: 1, durationMs: -5 }), RangeError);
});

Deno.test("createPacer() keeps the schedule exact over many requests (no drift)", () => {
  const p = createPacer({ rate: 3 });
  // 1000/3 is not exact in binary; computing k * interval avoids summing the error.
  assert.ok(Math.abs(p.pace(0, 300_000).dueMs - 100_000_000) < 1e-6);
});

Deno.test("decideStart() sends on time, late after waiting for a slot, drops past the bound", () => {
  const cases: [number, boolean, number, string][] = [
    [0, false, 1000, "on_time"],
    [999, false, 1000, "on_time"],
    [5, true, 1000, "late"],
    [1000, true, 1000, "late"],
    [1000.5, true, 1000, "drop"],
    [1000.5, false, 1000, "drop"],
    [1e9, true, Infinity, "late"],
  ];
  for (const [lag, waited, bound, want] of cases) {
    assert.equal(
      decideStart(lag, { waitedForSlot: waited, dropAfterMs: bound }),
      want,
      `lag ${lag}, waited ${waited}, bound ${bound}`,
    );
  }
});

Deno.test("createPacer().dueCount() counts every request due by the elapsed time", () => {
  const p = createPacer({ rate: 1000 }); // one every ms
  assert.equal(p.dueCount(0, 0), 1); // request 0 is due at 0
  assert.equal(p.dueCount(0.999, 1), 0);
  assert.equal(p.dueCount(1, 1), 1);
  // Woken 3.5 ms late after request 2: requests 2, 3, 4 and 5 go out together.
  assert.equal(p.dueCount(5.5, 2), 4);
  assert.equal(p.dueCount(10, 20), 0); // ahead of the schedule: nothing due
});

Deno.test("createPacer().dueCount() stops at the count, the duration and the offset", () => {
  assert.equal(createPacer({ rate: 1000, maxRequests: 3 }).dueCount(100, 1), 2);
  assert.equal(createPacer({ rate: 1000, durationMs: 10 }).dueCount(100, 0), 10);
  const shifted = createPacer({ rate: 1000, offsetMs: 0.5 });
  assert.equal(shifted.dueCount(0.4, 0), 0);
  assert.equal(shifted.dueCount(2.5, 0), 3); // due at 0.5, 1.5, 2.5
});

Deno.test("planWake() sleeps until the lead, yields inside it, sends when due", () => {
  assert.deepEqual(planWake(10, 1.5), { kind: "sleep", ms: 8.5 });
  assert.deepEqual(planWake(1.5001, 1.5).kind, "sleep");
  assert.deepEqual(planWake(1.5, 1.5), { kind: "yield" });
  assert.deepEqual(planWake(0.001, 1.5), { kind: "yield" });
  assert.deepEqual(planWake(0, 1.5), { kind: "send" });
  assert.deepEqual(planWake(-3, 1.5), { kind: "send" });
  assert.deepEqual(planWake(SPIN_LEAD_MS + 1), { kind: "sleep", ms: 1 });
});

Deno.test("schedulePacer() follows any due times and stops at their end, the count or the duration", () => {
  const squares = { dueMs: (k: number) => (k < 5 ? k * k : Infinity) };
  const p = schedulePacer(squares);
  assert.deepEqual(p.pace(3, 2), { waitMs: 1, dueMs: 4, stop: false });
  assert.deepEqual(p.pace(20, 3), { waitMs: 0, dueMs: 9, stop: false });
  assert.equal(p.dueCount(9, 2), 2);
  assert.equal(p.dueCount(1e9, 0), 5, "nothing past the end of the schedule");
  assert.equal(p.pace(100, 5).stop, true);
  assert.equal(schedulePacer(squares, { maxRequests: 2 }).pace(0, 2).stop, true);
  assert.equal(schedulePacer(squares, { maxRequests: 2 }).dueCount(100, 0), 2);
  const short = schedulePacer(squares, { durationMs: 9 });
  assert.equal(short.pace(0, 3).stop, true, "due at the duration: not sent");
  assert.equal(short.dueCount(100, 0), 3);
  assert.throws(() => schedulePacer(squares, { durationMs: -1 }), RangeError);
});

Deno.test("schedulePacer() tells the schedule which due times it will not ask for again", () => {
  const asked: number[] = [];
  const p = schedulePacer({ dueMs: (k) => k, discardBefore: (k) => asked.push(k) });
  p.pace(0, 3);
  p.pace(0, 4);
  assert.deepEqual(asked, [3, 4]);
});
