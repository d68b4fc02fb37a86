import assert from "node:assert/strict";
import { MAX_TARGETS_BYTES, readInputFile, targetsFromFlags } from "../../lib/cli/_targets.ts";
import { UsageError } from "../../lib/cli/_usage_error.ts";
import { withTempDir } from "../_temp_dir.ts";

const withDir = (fn: (dir: string) => Promise<void>) =>
  withTempDir(fn, { dir: "/tmp", prefix: "targets_file_test_" });

Deno.test("readInputFile() refuses a file over the limit from its size, before reading it", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/big.jsonl`;
    await Deno.writeFile(path, new Uint8Array(1025));
    await assert.rejects(
      () => readInputFile(path, 1024, "--targets"),
      (e) => e instanceof UsageError && /it is larger than 1 KiB/.test(e.message),
    );
    assert.equal((await readInputFile(path, 2048, "--targets")).byteLength, 1025);
    assert.equal(MAX_TARGETS_BYTES, 64 * 1024 * 1024);
  });
});

Deno.test("readInputFile() names a missing file and a directory in one line", async () => {
  await withDir(async (dir) => {
    await assert.rejects(() => readInputFile(`${dir}/none`, 10, "--targets"), /no such file/);
    await assert.rejects(() => readInputFile(dir, 10, "--targets"), /it is a directory/);
    await assert.rejects(
      () => readInputFile("no_such_body.json", 10, "body file"),
      /no_such_body\.json: .*a relative path is read from the working directory/,
    );
  });
});

Deno.test("targetsFromFlags() reads body files once, adds -H to every target, and fixes the sequence", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/b.json`, '{"x":1}');
    const file = `${dir}/t.jsonl`;
    await Deno.writeTextFile(
      file,
      [
        `{"name":"a","url":"http://127.0.0.2:9/a","body_file":"${dir}/b.json","weight":2}`,
        `{"name":"b","url":"http://127.0.0.2:9/b","body_file":"${dir}/b.json"}`,
      ].join("\n"),
    );
    const t = await targetsFromFlags({ targets: file, header: ["X-Run: 7"] }, 1);
    assert.deepEqual(t.names, ["a", "b"]);
    assert.equal(t.requests[0]!.body, t.requests[1]!.body); // one read, one buffer
    assert.deepEqual(t.requests[1]!.headers, [["content-type", "application/json"], [
      "X-Run",
      "7",
    ]]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((k) => t.sequence.at(k)), [0, 1, 0, 0, 1, 0]);
    await Deno.remove(`${dir}/b.json`);
    await assert.rejects(
      () => targetsFromFlags({ targets: file }, 1),
      (e) => e instanceof UsageError && /t\.jsonl, line 1: Cannot read body file/.test(e.message),
    );
  });
});
