import assert from "node:assert/strict";
import { readRecordBatches, readRecordsFile } from "../../lib/records/read_records.ts";
import { CSV_HEADER, recordToCsvLine, type RequestRecord } from "../../lib/record.ts";

async function collect(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

async function withFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ dir: "/tmp", suffix: ".csv" });
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

function record(id: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id,
    scheduledMs: 1_700_000_000_000 + id,
    startedMs: 1_700_000_000_000 + id + 0.5,
    latencyMs: 10 + id / 8,
    ttfbMs: 9.25,
    status: 200,
    bytes: 42,
    error: "",
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
    ...over,
  };
}

Deno.test("readRecordsFile() round-trips records written by recordToCsvLine()", async () => {
  const records = [
    record(1),
    record(2, { status: 0, error: "timeout", ttfbMs: null, bytes: 0 }),
    record(3, { status: 503, error: "http_5xx", warmup: true, worker: 2 }),
  ];
  const text = CSV_HEADER + "\n" + records.map(recordToCsvLine).join("\n") + "\n";
  await withFile(text, async (path) => {
    assert.deepEqual(await collect(path), records);
  });
});

Deno.test("readRecordsFile() lets Deno.errors.NotFound propagate for a missing file", async () => {
  await assert.rejects(
    () => collect("/tmp/tailgate-does-not-exist-4f1c.csv"),
    Deno.errors.NotFound,
  );
});

Deno.test("readRecordsFile() rejects an empty file with a SyntaxError saying empty", async () => {
  await withFile("", async (path) => {
    await assert.rejects(
      () => collect(path),
      (e) => e instanceof SyntaxError && /empty/.test(e.message),
    );
  });
  await withFile("\n\n", async (path) => {
    await assert.rejects(
      () => collect(path),
      (e) => e instanceof SyntaxError && /empty/.test(e.message),
    );
  });
});

Deno.test("readRecordsFile() rejects a wrong header and names the expected one", async () => {
  await withFile("id,time,latency\n1,2,3\n", async (path) => {
    await assert.rejects(
      () => collect(path),
      (e) => e instanceof SyntaxError && e.message.includes(CSV_HEADER) && /line 1/.test(e.message),
    );
  });
});

Deno.test("readRecordsFile() names the line number of a malformed row", async () => {
  const text = [
    CSV_HEADER,
    recordToCsvLine(record(1)),
    recordToCsvLine(record(2)),
    "3,x,1,200,,0,,1,0,0,,,,,",
  ]
    .join("\n");
  await withFile(text + "\n", async (path) => {
    await assert.rejects(
      () => collect(path),
      (e) => e instanceof SyntaxError && /line 4/.test(e.message) && /timestamp_ms/.test(e.message),
    );
  });
  // A truncated row (too few columns) under the full header is malformed too.
  await withFile(`${CSV_HEADER}\n1,1000,5,200\n`, async (path) => {
    await assert.rejects(
      () => collect(path),
      (e) => e instanceof SyntaxError && /line 2/.test(e.message) && /columns/.test(e.message),
    );
  });
});

Deno.test("readRecordsFile() accepts the four seed columns only", async () => {
  await withFile(
    "request_id,timestamp_ms,latency_ms,status_code\r\n1,1000,12.5,200\r\n2,1001,7,500\r\n",
    async (path) => {
      const got = await collect(path);
      assert.equal(got.length, 2);
      assert.equal(got[0]?.latencyMs, 12.5);
      assert.equal(got[0]?.scheduledMs, 1000);
      assert.equal(got[0]?.error, "");
      assert.equal(got[1]?.status, 500);
      assert.equal(got[1]?.error, "http_5xx");
    },
  );
});

Deno.test("readRecordBatches() streams a file larger than one read buffer without losing rows", async () => {
  const n = 40_000; // about 2.5 MiB: rows straddle several 1 MiB reads
  const lines = [CSV_HEADER];
  for (let i = 0; i < n; i++) lines.push(recordToCsvLine(record(i)));
  await withFile(lines.join("\n"), async (path) => {
    let count = 0;
    let batches = 0;
    let expectId = 0;
    for await (const batch of readRecordBatches(path)) {
      batches++;
      for (const r of batch) {
        assert.equal(r.id, expectId++);
        count++;
      }
    }
    assert.equal(count, n);
    assert.ok(batches > 1, `expected several batches, got ${batches}`);
  });
});

Deno.test("readRecordsFile() reads a CSV written before the phase columns, phases empty", async () => {
  const header = CSV_HEADER.split(",").slice(0, 10).join(",");
  await withFile(`${header}\n1,1000,5,200,4,10,,1000,0,0\n`, async (path) => {
    const [r] = await collect(path);
    assert.equal(r?.ttfbMs, 4);
    assert.equal(r?.connectMs, null);
    assert.equal(r?.firstBodyMs, null);
    assert.equal(r?.conn, null);
  });
});

Deno.test("readRecordsFile() reads the phase columns, an empty one as no data", async () => {
  await withFile(`${CSV_HEADER}\n1,1000,5,200,4,10,,1000,0,0,1.5,,4.25,7,\n`, async (path) => {
    const [r] = await collect(path);
    assert.equal(r?.connectMs, 1.5);
    assert.equal(r?.tlsMs, null);
    assert.equal(r?.firstBodyMs, 4.25);
    assert.equal(r?.conn, 7);
  });
  await withFile(`${CSV_HEADER}\n1,1000,5,200,4,10,,1000,0,0,x,,,,\n`, async (path) => {
    await assert.rejects(
      () => collect(path),
      (e) => e instanceof SyntaxError && /line 2/.test(e.message) && /connect_ms/.test(e.message),
    );
  });
});

Deno.test("readRecordsFile() reads the target column, and a CSV written before it as no target", async () => {
  await withFile(`${CSV_HEADER}\n1,1000,5,200,4,10,,1000,0,0,,,,,infer\n`, async (path) => {
    const [r] = await collect(path);
    assert.equal(r?.target, "infer");
  });
  const header = CSV_HEADER.split(",").slice(0, 14).join(",");
  await withFile(`${header}\n1,1000,5,200,4,10,,1000,0,0,1.5,,4.25,7\n`, async (path) => {
    const [r] = await collect(path);
    assert.equal(r?.conn, 7);
    assert.equal(r?.target, "");
  });
});
