import assert from "node:assert/strict";
import { loadRun } from "../../lib/records/load_run.ts";

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

Deno.test("loadRun() detects the format and keeps what it is asked for", async () => {
  const run = await loadRun(fixture("hey.csv"), { series: true });
  assert.equal(run.format, "hey");
  assert.ok(run.builder.summary().count > 0);
  assert.equal(run.series!.length, run.builder.summary().successes);
  assert.equal(run.records, null);
  assert.equal(run.intervals, null);
});

Deno.test("loadRun() throws a SyntaxError naming the file for bad content", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const empty = `${dir}/empty.csv`;
    await Deno.writeTextFile(empty, "\n");
    await assert.rejects(() => loadRun(empty), (e: Error) => {
      assert.ok(e instanceof SyntaxError);
      assert.match(e.message, /empty\.csv: the file is empty/);
      return true;
    });
    const odd = `${dir}/odd.csv`;
    await Deno.writeTextFile(odd, "a,b,c\n1,2,3\n");
    await assert.rejects(() => loadRun(odd), (e: Error) => {
      assert.ok(e instanceof SyntaxError);
      assert.match(e.message, /odd\.csv: unrecognized header "a,b,c"/);
      return true;
    });
    await assert.rejects(() => loadRun(`${dir}/missing.csv`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
