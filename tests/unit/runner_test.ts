import assert from "node:assert/strict";
import type { Client, HttpRequest, Outcome } from "../../lib/client/mod.ts";
import { now } from "../../lib/clock.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { newOpenLoopCounters, runClosed, runOpen } from "../../lib/load/runner.ts";
import { createArrivals } from "../../lib/load/arrivals.ts";

const REQ: HttpRequest = { url: "http://127.0.0.1:9/api", method: "GET", headers: [], body: null };

/**
 * A client without a network: `delay(i)` says how long request number i
 * (in send order) takes, or `null` to never answer. Timers are tracked and
 * cleared by `close()` so the test sanitizers stay happy.
 */
function fakeClient(delay: (i: number) => number | null): Client & { sent: number } {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const c = {
    name: "h1" as const,
    sent: 0,
    send(_req: HttpRequest): Promise<Outcome> {
      const i = c.sent++;
      const startedMs = now();
      const d = delay(i);
      if (d === null) return new Promise<Outcome>(() => {});
      const done = (): Outcome => ({
        startedMs,
        endMs: now(),
        ttfbMs: 0.1,
        status: 200,
        bytes: 2,
        error: "",
      });
      if (d === 0) return Promise.resolve(done());
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve(done());
        }, d);
        timers.add(t);
      });
    },
    close(): Promise<void> {
      for (const t of timers) clearTimeout(t);
      return Promise.resolve();
    },
  };
  return c;
}

async function all(gen: AsyncIterable<RequestRecord>): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

Deno.test("runClosed() yields one record per request with warm-up marked", async () => {
  const client = fakeClient(() => 0);
  const recs = await all(
    runClosed({ client, requestFor: () => REQ, concurrency: 3, requests: 10, warmup: 2 }),
  );
  await client.close();
  assert.equal(recs.length, 10);
  assert.deepEqual(recs.map((r) => r.id).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(recs.filter((r) => r.warmup).map((r) => r.id).sort(), [0, 1]);
  for (const r of recs) assert.equal(r.scheduledMs, r.startedMs);
});

Deno.test("runClosed() maps ids with idFor and writes the worker index", async () => {
  const client = fakeClient(() => 0);
  const recs = await all(
    runClosed({
      client,
      requestFor: () => REQ,
      concurrency: 2,
      requests: 4,
      idFor: (local) => local * 3 + 2,
      worker: 2,
    }),
  );
  await client.close();
  assert.deepEqual(recs.map((r) => r.id).sort((a, b) => a - b), [2, 5, 8, 11]);
  assert.ok(recs.every((r) => r.worker === 2));
});

Deno.test("runClosed() on hard stop records requests in flight as aborted", async () => {
  const client = fakeClient((i) => (i < 2 ? 0 : null));
  const hard = new AbortController();
  const recs: RequestRecord[] = [];
  for await (
    const r of runClosed({
      client,
      requestFor: () => REQ,
      concurrency: 3,
      requests: 100,
      hardStop: hard.signal,
    })
  ) {
    recs.push(r);
    if (recs.length === 2) hard.abort();
  }
  await client.close();
  assert.equal(recs.length, client.sent, "one row per request started");
  const aborted = recs.filter((r) => r.error === "aborted");
  assert.ok(aborted.length >= 1);
  assert.ok(aborted.every((r) => r.status === 0));
});

Deno.test("runOpen() schedules requests at fixed intervals and measures from the schedule", async () => {
  const client = fakeClient(() => 0);
  const counters = newOpenLoopCounters();
  const recs = await all(
    // A slot for every request: on a busy machine a late wake-up sends a burst, and none of
    // it may count as late (late means waiting for a slot).
    runOpen({ client, requestFor: () => REQ, rate: 500, maxInFlight: 20, requests: 20, counters }),
  );
  await client.close();
  assert.equal(recs.length, 20);
  const byId = [...recs].sort((a, b) => a.id - b.id);
  const t0 = byId[0]!.scheduledMs;
  byId.forEach((r, k) => {
    assert.ok(Math.abs(r.scheduledMs - t0 - k * 2) < 1e-6, `request ${k} due at +${k * 2}ms`);
    assert.ok(r.startedMs >= r.scheduledMs - 1e-6);
    assert.ok(r.latencyMs >= r.startedMs - r.scheduledMs - 1e-6, "latency includes the start lag");
  });
  assert.equal(counters.dropped, 0);
  assert.equal(counters.late, 0);
});

Deno.test("runOpen() counts requests that waited for a slot as late and charges the wait", async () => {
  const client = fakeClient(() => 15);
  const counters = newOpenLoopCounters();
  const recs = await all(
    runOpen({ client, requestFor: () => REQ, rate: 1000, maxInFlight: 1, requests: 5, counters }),
  );
  await client.close();
  const byId = [...recs].sort((a, b) => a.id - b.id);
  assert.equal(byId.length, 5);
  assert.equal(counters.late, 4);
  assert.equal(counters.dropped, 0);
  // Request 4 was due 4 ms in but could only start after four 15 ms requests.
  const last = byId[4]!;
  assert.ok(last.startedMs - last.scheduledMs > 30);
  assert.ok(last.latencyMs > byId[0]!.latencyMs + 30);
});

Deno.test("runOpen() drops requests further behind than the bound and records each one", async () => {
  const client = fakeClient((i) => (i === 0 ? 40 : 0));
  const counters = newOpenLoopCounters();
  const recs = await all(
    runOpen({
      client,
      requestFor: () => REQ,
      rate: 1000,
      maxInFlight: 1,
      requests: 10,
      dropAfterMs: 5,
      counters,
    }),
  );
  await client.close();
  const byId = [...recs].sort((a, b) => a.id - b.id);
  assert.deepEqual(byId.map((r) => r.id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "nothing skipped");
  const dropped = byId.filter((r) => r.error === "dropped");
  assert.equal(dropped.length, counters.dropped);
  assert.equal(dropped.length, 9); // all were due within 9 ms, the slot freed after 40 ms
  assert.ok(dropped.every((r) => r.status === 0 && r.ttfbMs === null));
  assert.equal(client.sent, 1);
});

Deno.test("runOpen() stops sending on abort and still yields every request started", async () => {
  const client = fakeClient(() => 20);
  const stop = new AbortController();
  const recs: RequestRecord[] = [];
  for await (
    const r of runOpen({
      client,
      requestFor: () => REQ,
      rate: 200,
      maxInFlight: 50,
      requests: Infinity,
      durationMs: 10_000,
      signal: stop.signal,
    })
  ) {
    recs.push(r);
    if (recs.length === 3) stop.abort();
  }
  await client.close();
  assert.ok(recs.length >= 3);
  assert.equal(recs.length, client.sent, "one row per request started");
  assert.ok(recs.every((r) => r.error === ""), "in-flight requests finished normally");
});

Deno.test("runOpen() on hard stop records requests in flight as aborted", async () => {
  const client = fakeClient(() => null);
  const stop = new AbortController();
  const hard = new AbortController();
  const timer = setTimeout(() => {
    stop.abort();
    hard.abort();
  }, 30);
  const recs = await all(
    runOpen({
      client,
      requestFor: () => REQ,
      rate: 500,
      maxInFlight: 100,
      requests: 1000,
      signal: stop.signal,
      hardStop: hard.signal,
    }),
  );
  clearTimeout(timer);
  await client.close();
  assert.ok(client.sent > 0);
  assert.equal(recs.length, client.sent);
  assert.ok(recs.every((r) => r.error === "aborted"));
});

Deno.test("runOpen() marks time warm-up and sends the measured count after it", async () => {
  const client = fakeClient(() => 0);
  const recs = await all(
    runOpen({
      client,
      requestFor: () => REQ,
      rate: 1000,
      maxInFlight: 10,
      requests: 5,
      warmupMs: 10,
    }),
  );
  await client.close();
  assert.equal(recs.filter((r) => r.warmup).length, 10);
  assert.equal(recs.filter((r) => !r.warmup).length, 5);
});

Deno.test("runOpen() and runClosed() reject impossible options", async () => {
  const client = fakeClient(() => 0);
  await assert.rejects(
    all(runOpen({ client, requestFor: () => REQ, rate: 10, maxInFlight: 0, requests: 1 })),
    RangeError,
  );
  await assert.rejects(
    all(runOpen({ client, requestFor: () => REQ, rate: 10, maxInFlight: 1, requests: Infinity })),
    RangeError,
  );
  await assert.rejects(
    all(runClosed({ client, requestFor: () => REQ, concurrency: 0, requests: 1 })),
    RangeError,
  );
  await client.close();
});

Deno.test("runClosed().forEach() passes each record to the callback and resolves at the end", async () => {
  const client = fakeClient(() => 0);
  const recs: RequestRecord[] = [];
  await runClosed({ client, requestFor: () => REQ, concurrency: 4, requests: 50 }).forEach((r) =>
    recs.push(r)
  );
  await client.close();
  assert.equal(recs.length, 50);
  assert.deepEqual(recs.map((r) => r.id).sort((a, b) => a - b), [...Array(50).keys()]);
});

Deno.test("runClosed().forEach() rejects with what the callback threw and stops sending", async () => {
  const client = fakeClient(() => 1);
  const stream = runClosed({ client, requestFor: () => REQ, concurrency: 2, requests: 1000 });
  let seen = 0;
  await assert.rejects(
    stream.forEach(() => {
      if (++seen === 3) throw new RangeError("disk full");
    }),
    RangeError,
  );
  const sent = client.sent;
  await new Promise((resolve) => setTimeout(resolve, 20));
  await client.close();
  assert.ok(client.sent <= sent + 2, `sent ${client.sent} after the failure at ${sent}`);
  await assert.rejects(stream.forEach(() => {}), TypeError, "a stream runs once");
});

Deno.test("runOpen().forEach() rejects with what the callback threw", async () => {
  const client = fakeClient(() => 0);
  const stream = runOpen({
    client,
    requestFor: () => REQ,
    rate: 2000,
    maxInFlight: 10,
    requests: 200,
  });
  await assert.rejects(
    stream.forEach(() => {
      throw new RangeError("disk full");
    }),
    RangeError,
  );
  await client.close();
  assert.ok(client.sent < 200, `stopped sending after the failure (sent ${client.sent})`);
});

/** A client with the callback fast path: answers after `delay` ms, or at once and synchronously when closed. */
function callbackClient(delay: number): Client & { sent: number; viaThen: number } {
  const inner = fakeClient(() => delay);
  let closed = false;
  const c = {
    name: "fast" as const,
    sent: 0,
    viaThen: 0,
    send: (req: HttpRequest) => (c.sent++, inner.send(req)),
    sendThen(req: HttpRequest, done: (o: Outcome) => void): void {
      c.viaThen++;
      c.sent++;
      if (closed) {
        const t = now();
        done({ startedMs: t, endMs: t, ttfbMs: null, status: 0, bytes: 0, error: "aborted" });
        return;
      }
      inner.send(req).then(done);
    },
    close(): Promise<void> {
      closed = true;
      return inner.close();
    },
  };
  return c;
}

Deno.test("runClosed() drives a client's sendThen(), one record per request", async () => {
  const client = callbackClient(0);
  const recs = await all(
    runClosed({ client, requestFor: () => REQ, concurrency: 3, requests: 30, warmup: 3 }),
  );
  await client.close();
  assert.equal(client.viaThen, 30);
  assert.deepEqual(recs.map((r) => r.id).sort((a, b) => a - b), [...Array(30).keys()]);
  assert.equal(recs.filter((r) => r.warmup).length, 3);
});

Deno.test("runClosed() with sendThen() survives synchronous completions without deep recursion", async () => {
  const client = callbackClient(0);
  await client.close();
  const recs = await all(
    runClosed({ client, requestFor: () => REQ, concurrency: 1, requests: 50_000 }),
  );
  assert.equal(recs.length, 50_000);
  assert.ok(recs.every((r) => r.error === "aborted"));
});

Deno.test("runClosed() with sendThen() rejects with what requestFor threw", async () => {
  const client = callbackClient(0);
  const stream = runClosed({
    client,
    requestFor: (i) => {
      if (i === 5) throw new RangeError("no request 5");
      return REQ;
    },
    concurrency: 2,
    requests: 20,
  });
  await assert.rejects(stream.forEach(() => {}), RangeError);
  await client.close();
});

Deno.test("runClosed() with sendThen() and no requests ends at once", async () => {
  const client = callbackClient(0);
  const recs = await all(runClosed({ client, requestFor: () => REQ, concurrency: 4, requests: 0 }));
  await client.close();
  assert.equal(recs.length, 0);
  assert.equal(client.viaThen, 0);
});

Deno.test("runClosed() starts a sendThen() request at the end of the one before it", async () => {
  // The runner's clock, made to move at least a microsecond a reading: every reading is
  // distinct, so one shared between two requests shows.
  let clock = 0;
  const read = (): number => (clock = Math.max(now(), clock + 0.001));
  const starts: (number | undefined)[] = [];
  const client: Client = {
    name: "fast",
    send: () => Promise.reject(new Error("send() is not the closed loop's path here")),
    sendThen(_req, done, startedMs) {
      starts.push(startedMs);
      const startedAt = startedMs ?? read();
      queueMicrotask(() => {
        const endMs = read();
        done({ startedMs: startedAt, endMs, ttfbMs: null, status: 200, bytes: 0, error: "" });
      });
    },
    close: () => Promise.resolve(),
  };
  const recs = await all(runClosed({ client, requestFor: () => REQ, concurrency: 1, requests: 5 }));
  assert.equal(recs.length, 5);
  // The first start is the loop's own reading; each later one is the previous request's end.
  assert.ok(starts.every((s) => typeof s === "number"));
  for (let i = 1; i < recs.length; i++) {
    assert.equal(recs[i]!.startedMs, recs[i - 1]!.startedMs + recs[i - 1]!.latencyMs);
  }
});

Deno.test("runOpen() with arrivals sends on their schedule, ends with the ramp and marks its warm-up", async () => {
  const client = fakeClient(() => 0);
  // 0 -> 2000/s over 200 ms: Λ(t) = 5000 t², 200 requests, request k due at 1000·√(k/5000) ms.
  const arrivals = createArrivals({
    process: "constant",
    startRate: 0,
    stages: [{ durationMs: 200, rate: 2000 }],
    seed: 1,
  });
  const recs = await all(
    runOpen({
      client,
      requestFor: () => REQ,
      arrivals,
      maxInFlight: 1000,
      requests: Infinity,
      durationMs: 200 - 50,
      warmupMs: 50,
    }),
  );
  await client.close();
  assert.equal(recs.length, 200, "the ramp's whole schedule, no more");
  const byId = [...recs].sort((a, b) => a.id - b.id);
  const t0 = byId[0]!.scheduledMs;
  byId.forEach((r, k) => {
    const want = 1000 * Math.sqrt(k / 5000);
    assert.ok(
      Math.abs(r.scheduledMs - t0 - want) < 1e-3,
      `request ${k}: ${r.scheduledMs - t0} vs ${want}`,
    );
    assert.ok(r.latencyMs >= r.startedMs - r.scheduledMs - 1e-6, "latency from the schedule");
  });
  // Due before 50 ms: Λ(0.05 s) = 12.5, requests 0..12.
  assert.equal(recs.filter((r) => r.warmup).length, 13);
});

Deno.test("runOpen() runs arrivals that end without a count or a duration, and refuses endless ones", async () => {
  const client = fakeClient(() => 0);
  const ramp = createArrivals({
    process: "poisson",
    startRate: 0,
    stages: [{ durationMs: 100, rate: 1000 }],
    seed: 4,
  });
  let expected = 0;
  const copy = createArrivals({
    process: "poisson",
    startRate: 0,
    stages: [{ durationMs: 100, rate: 1000 }],
    seed: 4,
  });
  while (copy.dueMs(expected) !== Infinity) expected++;
  const recs = await all(
    runOpen({
      client,
      requestFor: () => REQ,
      arrivals: ramp,
      maxInFlight: 100,
      requests: Infinity,
    }),
  );
  assert.equal(recs.length, expected);
  const endless = createArrivals({ process: "poisson", startRate: 10, stages: [], seed: 4 });
  await assert.rejects(
    all(
      runOpen({
        client,
        requestFor: () => REQ,
        arrivals: endless,
        maxInFlight: 1,
        requests: Infinity,
      }),
    ),
    /arrivals that end/,
  );
  await client.close();
});
