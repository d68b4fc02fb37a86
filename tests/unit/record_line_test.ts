import assert from "node:assert/strict";
import { encodeCsvRow, recordToCsvLine, type RequestRecord } from "../../lib/record.ts";

const BASE: RequestRecord = {
  id: 7,
  scheduledMs: 0,
  startedMs: 0,
  latencyMs: 0,
  ttfbMs: null,
  status: 200,
  bytes: 2,
  error: "",
  warmup: false,
  worker: 1,
  connectMs: null,
  tlsMs: null,
  firstBodyMs: null,
  conn: null,
  target: "",
};

/** The reference: toFixed(3) with trailing zeros trimmed. */
function reference(n: number): string {
  const s = n.toFixed(3);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

Deno.test("recordToCsvLine() writes times to the microsecond, trailing zeros trimmed, as toFixed(3)", () => {
  const values = [
    0,
    0.001,
    0.01,
    0.1,
    0.0625, // an exact half at the fourth decimal: rounds up, as toFixed does
    1.0005, // not an exact half in binary: rounds down, as toFixed does
    0.9995,
    9.9996,
    12.5,
    208.718,
    30016.75,
    1795735820016.5,
    1796170000000.1235,
    1e21,
  ];
  let seed = 7;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    values.push((seed / 2147483648) * 10 ** ((i % 16) - 3));
  }
  for (const v of values) {
    const line = recordToCsvLine({
      ...BASE,
      startedMs: v,
      latencyMs: v,
      ttfbMs: v,
      scheduledMs: v,
    });
    const f = reference(v);
    assert.equal(line, `7,${f},${f},200,${f},2,,${f},0,1,,,,,`, `value ${v}`);
  }
});

Deno.test("encodeCsvRow() writes the bytes of recordToCsvLine() and a newline", () => {
  const times = [0, 0.001, 0.0625, 1.0005, 9.9996, 12.5, -0.0004, -3.25, 1795735820016.5];
  times.push(1796170000000.1235, 1e21, Number.MAX_VALUE, -1e300, 2 ** 31, 2 ** 53 / 1000 - 1);
  const ints = [0, 7, 9, 10, 2147483647, 2147483648, 1e15 + 3, 2 ** 53 - 1, 2 ** 53, 1.5, -4, 1e21];
  let seed = 11;
  for (let i = 0; i < 3000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    times.push((seed / 2147483648) * 10 ** ((i % 16) - 3));
    ints.push(Math.floor((seed / 2147483648) * 10 ** (i % 17)));
  }
  const buf = new Uint8Array(4096);
  const text = new TextDecoder();
  times.forEach((t, i) => {
    const v = ints[i % ints.length]!;
    // Equal durations are copied from the text already written: cover equal and unequal ones.
    const ttfb = i % 3 === 0 ? null : i % 3 === 1 ? t : times[(i * 5) % times.length]!;
    const r: RequestRecord = {
      id: v,
      startedMs: t,
      latencyMs: t,
      ttfbMs: ttfb,
      status: i % 2 ? 200 : v,
      bytes: v,
      error: i % 5 === 0 ? "timeout" : "",
      // Equal to the start half the time (the closed model: copied), else formatted itself.
      scheduledMs: i % 2 ? t : times[(i * 7) % times.length]!,
      warmup: i % 7 === 0,
      worker: i % 4,
      connectMs: null,
      tlsMs: null,
      firstBodyMs: i % 4 === 0 ? null : i % 4 === 1 ? ttfb : times[(i * 3) % times.length]!,
      conn: null,
      target: i % 3 === 0 ? "" : `t${i % 11}`,
    };
    const end = encodeCsvRow(r, buf, 3);
    assert.equal(text.decode(buf.subarray(3, end)), recordToCsvLine(r) + "\n", `record ${i}`);
  });
});

Deno.test("encodeCsvRow() writes timestamps of the same millisecond as recordToCsvLine() does", () => {
  const buf = new Uint8Array(4096);
  const text = new TextDecoder();
  // Runs of rows within one millisecond, then a jump, then back: the repeated digits must
  // never leak from one millisecond into another.
  const times = [
    1796170000000.125,
    1796170000000.5,
    1796170000000.999,
    1796170000001,
    1796170000001.25,
    1796170000000.75,
    1796169999999.875,
    2 ** 31 + 0.5,
    2 ** 31 + 0.25,
    1796170000001.0625,
  ];
  for (const [i, t] of times.entries()) {
    const r: RequestRecord = {
      ...BASE,
      startedMs: t,
      scheduledMs: i % 2 ? t : t - 0.5,
      latencyMs: 1.5,
      ttfbMs: 1,
    };
    const end = encodeCsvRow(r, buf, 0);
    assert.equal(text.decode(buf.subarray(0, end)), recordToCsvLine(r) + "\n", `time ${t}`);
  }
});

Deno.test("recordToCsvLine() writes the target name last, empty when the run had no targets", () => {
  assert.equal(recordToCsvLine({ ...BASE, target: "infer" }).split(",").at(-1), "infer");
  assert.equal(recordToCsvLine(BASE).endsWith(","), true);
});

Deno.test("encodeCsvRow() rounds timestamps from 1024 ms up as toFixed(3) does, exact halves included", () => {
  const buf = new Uint8Array(4096);
  const text = new TextDecoder();
  // Near 1.8e12 a double has 12 fraction bits: every one of the 4096 fractions, among them the
  // products that land on a half (about one in four timestamps under load). Then smaller values.
  const bases = [1796170000000, 2 ** 31, 1024, 65536.5, 999999999];
  for (const base of bases) {
    for (let k = 0; k < 4096; k++) {
      const t = base + k / 4096;
      const r: RequestRecord = { ...BASE, startedMs: t, scheduledMs: t, latencyMs: t, ttfbMs: t };
      const end = encodeCsvRow(r, buf, 0);
      const line = text.decode(buf.subarray(0, end));
      assert.equal(line, recordToCsvLine(r) + "\n", `time ${t}`);
      const want = t.toFixed(3).replace(/\.?0+$/, "");
      assert.equal(line.split(",")[1], want, `time ${t} as toFixed(3)`);
    }
  }
});
