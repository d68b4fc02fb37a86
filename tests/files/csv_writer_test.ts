/**
 * CsvWriter when the disk fills mid-run: the file must end on a whole row
 * (so `report` still reads it) and the error must name the file and cause.
 * A tiny tmpfs needs root, so a sink over a real temp file plays the full
 * disk: it takes bytes up to a limit, writes a partial chunk, then fails.
 */
import assert from "node:assert/strict";
import { recordFromCsvFields, type RequestRecord } from "../../lib/record.ts";
import { type CsvSink, CsvWriteError, CsvWriter } from "../../lib/records/csv_writer.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";

const ROW: RequestRecord = recordFromCsvFields(
  "0,1795735820016.75,208.718,200,207.819,459,,1795735820016.5,0,0".split(","),
  2,
);

/** A file that holds at most `limit` bytes, as a full disk would. */
function fullDisk(file: Deno.FsFile, limit: number): CsvSink {
  let size = 0;
  return {
    writeSync(p) {
      const room = limit - size;
      if (room <= 0) throw new Error("No space left on device (os error 28)");
      const n = file.writeSync(p.subarray(0, Math.min(room, p.length)));
      size += n;
      return n;
    },
    truncateSync(len) {
      file.truncateSync(len);
      size = len ?? 0;
    },
    close: () => file.close(),
  };
}

async function withTemp(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/run.csv`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CsvWriter on a disk that fills mid-run leaves whole rows and names file and cause", async () => {
  await withTemp(async (path) => {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    // Room for the header and part of the second 64 KiB batch: a flush is cut mid-row.
    const w = CsvWriter.fromSink(path, fullDisk(file, 100_003));
    let caught: unknown = null;
    try {
      for (let i = 0; i < 10_000; i++) w.write({ ...ROW, id: i });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof CsvWriteError, `threw ${caught}`);
    assert.equal(caught.path, path);
    assert.match(caught.message, new RegExp(`^Cannot write ${path}: No space left on device`));
    assert.match(caught.message, /keeps \d+ whole rows$/);
    // Later writes fail the same way; close() only closes.
    assert.throws(() => w.write(ROW), CsvWriteError);
    await w.close();
    const text = await Deno.readTextFile(path);
    assert.ok(text.endsWith("\n"), "the file ends on a whole row");
    let n = 0;
    for await (const r of readRecordsFile(path)) {
      assert.equal(r.id, n);
      n++;
    }
    assert.equal(n, caught.rowsKept);
    assert.ok(n > 1000 && n < 10_000, `rows kept: ${n}`);
  });
});

Deno.test("CsvWriter reports a failure at the header as a CsvWriteError with no rows kept", async () => {
  await withTemp(async (path) => {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    assert.throws(
      () => CsvWriter.fromSink(path, fullDisk(file, 10)),
      (err: unknown) =>
        err instanceof CsvWriteError && err.rowsKept === 0 &&
        err.message.startsWith(`Cannot write ${path}: No space left on device`),
    );
    assert.equal(await Deno.readTextFile(path), "");
  });
});

Deno.test("CsvWriter.close() reports a failed last flush after closing the file", async () => {
  await withTemp(async (path) => {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const w = CsvWriter.fromSink(path, fullDisk(file, 200));
    for (let i = 0; i < 20; i++) w.write({ ...ROW, id: i });
    await assert.rejects(() => w.close(), CsvWriteError);
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.at(-1), "");
    assert.equal(lines.length, 1 + (w.error?.rowsKept ?? -1) + 1);
  });
});
