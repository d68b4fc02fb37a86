import assert from "node:assert/strict";
import {
  CSV_HEADER,
  errorForStatus,
  isSuccess,
  recordFromCsvFields,
  recordToCsvLine,
  type RequestRecord,
} from "../../lib/record.ts";
import { CsvWriter } from "../../lib/records/csv_writer.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";

const SAMPLE: RequestRecord[] = [
  {
    id: 0,
    scheduledMs: 1795735820016.5,
    startedMs: 1795735820016.5,
    latencyMs: 208.718,
    ttfbMs: 207.819,
    status: 200,
    bytes: 459,
    error: "",
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
  },
  {
    id: 1,
    scheduledMs: 1795735820000,
    startedMs: 1795735820016.75,
    latencyMs: 30016.75,
    ttfbMs: null,
    status: 0,
    bytes: 0,
    error: "timeout",
    warmup: true,
    worker: 3,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
  },
];

Deno.test("CSV_HEADER starts with the seed's four columns", () => {
  assert.ok(CSV_HEADER.startsWith("request_id,timestamp_ms,latency_ms,status_code,"));
});

Deno.test("recordToCsvLine() and recordFromCsvFields() round-trip", () => {
  for (const r of SAMPLE) {
    const line = recordToCsvLine(r);
    assert.deepEqual(recordFromCsvFields(line.split(","), 2), r);
  }
});

Deno.test("recordFromCsvFields() names the line of a malformed row", () => {
  assert.throws(() => recordFromCsvFields(["1", "x", "3", "200"], 7), /line 7.*timestamp_ms/);
  assert.throws(() => recordFromCsvFields(["1", "2"], 9), /line 9/);
  assert.throws(() => recordFromCsvFields(["1", "2", "-3", "200"], 4), /negative/);
  assert.throws(
    () => recordFromCsvFields(["1", "2", "3", "0", "", "0", "bogus"], 5),
    /unknown error kind/,
  );
});

Deno.test("isSuccess() and errorForStatus() follow k6 and vegeta (200-399)", () => {
  assert.equal(isSuccess({ status: 399, error: "" }), true);
  assert.equal(isSuccess({ status: 400, error: "http_4xx" }), false);
  assert.equal(isSuccess({ status: 200, error: "reset" }), false);
  assert.equal(errorForStatus(503), "http_5xx");
  assert.equal(errorForStatus(429), "http_4xx");
  assert.equal(errorForStatus(204), "");
});

Deno.test("errorForStatus() calls a final status outside 200-599 a protocol error, 0 none", () => {
  for (const status of [100, 101, 199, 600, 999]) {
    assert.equal(errorForStatus(status), "protocol", String(status));
  }
  assert.equal(errorForStatus(599), "http_5xx");
  assert.equal(errorForStatus(0), "");
});

Deno.test("CsvWriter writes a file that readRecordsFile() reads back exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/run.csv`;
    const w = await CsvWriter.create(path);
    for (let i = 0; i < 3000; i++) w.write({ ...SAMPLE[i % 2]!, id: i });
    await w.close();
    const back: RequestRecord[] = [];
    for await (const r of readRecordsFile(path)) back.push(r);
    assert.equal(back.length, 3000);
    assert.deepEqual(back[2999], { ...SAMPLE[1]!, id: 2999 });
    const text = await Deno.readTextFile(path);
    assert.equal(text.split("\n")[0], CSV_HEADER);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CsvWriter.flushSync() puts rows on disk before close", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/run.csv`;
    const w = await CsvWriter.create(path);
    w.write(SAMPLE[0]!);
    w.flushSync();
    const lines = (await Deno.readTextFile(path)).trim().split("\n");
    assert.equal(lines.length, 2);
    await w.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
