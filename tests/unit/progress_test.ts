import assert from "node:assert/strict";
import { formatProgress, ProgressLine } from "../../lib/report/progress.ts";
import type { RequestRecord } from "../../lib/record.ts";

Deno.test("formatProgress() shows count or time left, rate, errors and p95", () => {
  assert.equal(
    formatProgress({
      done: 120,
      total: 400,
      elapsedMs: 3000,
      durationMs: null,
      errors: 2,
      rate: 40.24,
      p95Ms: 212.4,
    }),
    "120/400 (30%)  40.2 req/s  errors 2  p95 212ms",
  );
  assert.equal(
    formatProgress({
      done: 50,
      total: null,
      elapsedMs: 20_000,
      durationMs: 30_000,
      errors: 0,
      rate: 2.5,
      p95Ms: null,
      stopping: true,
    }),
    "50 done  10s left  2.5 req/s  errors 0  p95 -  stopping: waiting for requests in flight (Ctrl-C again to abort)",
  );
});

function stream(tty: boolean) {
  const written: string[] = [];
  return {
    written,
    isTerminal: () => tty,
    writeSync(p: Uint8Array) {
      written.push(new TextDecoder().decode(p));
      return p.length;
    },
  };
}

const rec = (latencyMs: number, status = 200): RequestRecord => ({
  id: 0,
  scheduledMs: 0,
  startedMs: 0,
  latencyMs,
  ttfbMs: 1,
  status,
  bytes: 1,
  error: status >= 500 ? "http_5xx" : "",
  warmup: false,
  worker: 0,
  connectMs: null,
  tlsMs: null,
  firstBodyMs: null,
  conn: null,
  target: "",
});

Deno.test("ProgressLine stays silent when not a TTY or when quiet", () => {
  for (const [tty, enabled] of [[false, true], [true, false]] as const) {
    const s = stream(tty);
    const p = new ProgressLine({ stream: s, enabled, total: 10, durationMs: null });
    p.start();
    p.record(rec(5));
    p.stopping();
    p.stop();
    assert.equal(p.enabled, false);
    assert.deepEqual(s.written, []);
  }
});

Deno.test("ProgressLine counts errors and a recent p95 on a TTY, and clears the line", () => {
  const s = stream(true);
  const p = new ProgressLine({ stream: s, total: 100, durationMs: null, intervalMs: 60_000 });
  p.start();
  for (let i = 1; i <= 100; i++) p.record(rec(i));
  p.record(rec(1, 503));
  const st = p.state();
  assert.equal(st.done, 101);
  assert.equal(st.errors, 1);
  assert.equal(st.p95Ms, 95);
  p.stop();
  assert.equal(s.written.at(-1), "\r\x1b[2K");
});

Deno.test("the progress line shows the schedule's current target rate during a ramp", () => {
  assert.equal(
    formatProgress({
      done: 300,
      total: null,
      elapsedMs: 3000,
      durationMs: 10_000,
      errors: 0,
      rate: 58.14,
      p95Ms: 2,
      targetRate: 60,
    }),
    "300 done  7s left  58.1 req/s  target 60.0/s  errors 0  p95 2ms",
  );
  let target: number | null = null;
  const p = new ProgressLine({
    stream: stream(true),
    total: null,
    durationMs: 10_000,
    intervalMs: 60_000,
    targetRate: () => target,
  });
  assert.equal(p.state().targetRate, null);
  target = 120;
  assert.equal(p.state().targetRate, 120);
  assert.equal(
    new ProgressLine({ stream: stream(true), total: 5, durationMs: null }).state().targetRate,
    undefined,
    "no target without a ramp",
  );
});
