/**
 * Whole-or-nothing outputs (issue 22, M3): a file written beside its target
 * and renamed into place, and bounded reads of input files (H2).
 */
import assert from "node:assert/strict";
import { recordFromCsvFields, type RequestRecord } from "../../lib/record.ts";
import { tempBeside, writeFileAtomic } from "../../lib/records/atomic_file.ts";
import { CsvWriter } from "../../lib/records/csv_writer.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";
import { BoundedReadError, readBounded } from "../../lib/read_bounded.ts";
import { withTempDir } from "../_temp_dir.ts";

const ROW: RequestRecord = recordFromCsvFields(
  "0,1795735820016.75,208.718,200,207.819,459,,1795735820016.5,0,0".split(","),
  2,
);

async function readAll(path: string): Promise<RequestRecord[]> {
  const rows: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) rows.push(r);
  return rows;
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("tempBeside() names a hidden file in the target's own directory", () => {
  const a = tempBeside("results/run.csv");
  assert.match(a, /^results\/\.run\.csv\.\d+-\d+\.tmp$/);
  assert.notEqual(tempBeside("results/run.csv"), a);
  assert.match(tempBeside("/run.csv"), /^\/\.run\.csv\./);
  assert.match(tempBeside("run.csv"), /^\.run\.csv\./);
});

Deno.test("writeFileAtomic() replaces a file whole and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/m.json`, "old\n");
    await writeFileAtomic(`${dir}/m.json`, "new\n");
    assert.equal(await Deno.readTextFile(`${dir}/m.json`), "new\n");
    assert.deepEqual(names(dir), ["m.json"]);
    // A target that cannot take the rename (a directory) keeps what was there; no temp left.
    await Deno.mkdir(`${dir}/d`);
    await assert.rejects(writeFileAtomic(`${dir}/d`, "x"));
    assert.ok((await Deno.stat(`${dir}/d`)).isDirectory);
    assert.deepEqual(names(dir), ["d", "m.json"]);
  });
});

Deno.test("CsvWriter atomic: the old file stays whole until close, then the new one replaces it", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/run.csv`;
    await Deno.writeTextFile(path, "old file\n");
    const w = await CsvWriter.create(path, { atomic: true });
    for (let i = 0; i < 5000; i++) w.write({ ...ROW, id: i });
    w.flushSync();
    assert.equal(await Deno.readTextFile(path), "old file\n", "untouched while writing");
    await w.close();
    assert.equal((await readAll(path)).length, 5000);
    assert.deepEqual(names(dir), ["run.csv"]);
  });
});

Deno.test("CsvWriter atomic: two writers on one path leave one whole file, never a mix", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/run.csv`;
    const a = await CsvWriter.create(path, { atomic: true });
    const b = await CsvWriter.create(path, { atomic: true });
    for (let i = 0; i < 3000; i++) {
      a.write({ ...ROW, id: i });
      if (i < 1000) b.write({ ...ROW, id: i, status: 503 });
    }
    await b.close();
    assert.equal((await readAll(path)).length, 1000);
    await a.close(); // the last to finish wins, whole
    const rows = await readAll(path);
    assert.equal(rows.length, 3000);
    assert.ok(rows.every((r) => r.status === ROW.status));
    assert.deepEqual(names(dir), ["run.csv"]);
  });
});

Deno.test("readBounded() reads a file within its limit", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/b.bin`, new Uint8Array(1000).fill(7));
    const bytes = await readBounded(`${dir}/b.bin`, 1000);
    assert.equal(bytes.length, 1000);
    assert.equal(bytes[999], 7);
    assert.equal((await readBounded(`${dir}/b.bin`, 1 << 20)).length, 1000);
  });
});

Deno.test("readBounded() refuses a larger file and a directory before reading", async () => {
  await withTempDir(async (dir) => {
    // A sparse 2 GiB file: refused from its size alone (reading it would take 2 GiB).
    using f = await Deno.open(`${dir}/big.bin`, { write: true, create: true });
    await f.truncate(2 ** 31);
    await assert.rejects(
      readBounded(`${dir}/big.bin`, 64 << 20),
      (e: unknown) =>
        e instanceof BoundedReadError && e.problem === "too-large" &&
        e.message === "it is larger than 64 MiB",
    );
    await assert.rejects(
      readBounded(dir, 64 << 20),
      (e: unknown) => e instanceof BoundedReadError && e.problem === "not-regular",
    );
    await assert.rejects(readBounded(`${dir}/absent`, 10), Deno.errors.NotFound);
  });
});
