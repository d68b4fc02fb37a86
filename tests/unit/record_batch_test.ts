import assert from "node:assert/strict";
import { packRecords, RECORD_FIELDS, unpackRecords } from "../../lib/records/record_batch.ts";
import { ERROR_KINDS, type RequestRecord } from "../../lib/record.ts";
import { okRecord } from "../_record.ts";

Deno.test("unpackRecords() gives back exactly the records packRecords() packed", () => {
  const records: RequestRecord[] = [
    okRecord(0, 1_795_000_000_000.123, 1.001, { ttfbMs: 0.9, firstBodyMs: 0.95, conn: 1 }),
    okRecord(7, 1_795_000_000_001.5, 2.5, { worker: 3, warmup: true, connectMs: 0.2, tlsMs: 0.4 }),
    ...ERROR_KINDS.map((error, i) =>
      okRecord(100 + i, 1_795_000_000_002, 3, { status: 0, error, bytes: 0 })
    ),
  ];
  const batch = packRecords(records);
  assert.equal(batch.length, records.length * RECORD_FIELDS);
  const out: RequestRecord[] = [];
  unpackRecords(batch, (r) => out.push(r));
  assert.deepEqual(out, records);
});

Deno.test("unpackRecords() refuses a batch that is not whole records", () => {
  assert.throws(() => unpackRecords(new Float64Array(RECORD_FIELDS + 1), () => {}), RangeError);
});
