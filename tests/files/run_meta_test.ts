import assert from "node:assert/strict";
import {
  buildRunMeta,
  canonicalJson,
  configDigest,
  coveredWorkers,
  metaPath,
  readRunMeta,
  type RunMeta,
  writeRunMeta,
} from "../../lib/records/run_meta.ts";
import { withTempDir } from "../_temp_dir.ts";

const CONFIG = {
  url: "http://127.0.0.1:8080/api",
  requests: 30,
  concurrency: 3,
  client: "optimized",
};

const withDir = (fn: (dir: string) => Promise<void>) =>
  withTempDir(fn, { dir: "/tmp", prefix: "run_meta_test_" });

Deno.test("canonicalJson() sorts keys at every level", () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  assert.equal(canonicalJson({ x: { z: 1, y: 2 } }), canonicalJson({ x: { y: 2, z: 1 } }));
});

Deno.test("buildRunMeta() gives every worker the same digest and its own index", async () => {
  const metas = await Promise.all(
    [0, 1, 2].map((i) =>
      buildRunMeta({ ...CONFIG, out: `w${i}.csv` }, { index: i, count: 3 }, "R1")
    ),
  );
  assert.deepEqual(metas.map((m) => m.worker), [0, 1, 2]);
  assert.ok(metas.every((m) => m.workers === 3 && m.run_id === "R1"));
  assert.equal(new Set(metas.map((m) => m.config_digest)).size, 1);
  assert.match(metas[0]!.config_digest, /^[0-9a-f]{64}$/);
  // Per-worker keys are not part of the digested config.
  assert.equal(metas[0]!.config.out, undefined);
  assert.equal(metas[0]!.config_digest, await configDigest(CONFIG, 3));
  assert.match(metas[0]!.tool, /^tailgate /);
  assert.ok(!Number.isNaN(Date.parse(metas[0]!.started_at)));
});

Deno.test("buildRunMeta() changes the digest when the config or worker count changes", async () => {
  const a = await buildRunMeta(CONFIG, { index: 0, count: 3 }, "R");
  const b = await buildRunMeta({ ...CONFIG, requests: 31 }, { index: 0, count: 3 }, "R");
  const c = await buildRunMeta(CONFIG, { index: 0, count: 4 }, "R");
  const d = await buildRunMeta({
    concurrency: 3,
    client: "optimized",
    requests: 30,
    url: CONFIG.url,
  }, {
    index: 1,
    count: 3,
  }, "R");
  assert.notEqual(a.config_digest, b.config_digest);
  assert.notEqual(a.config_digest, c.config_digest);
  assert.equal(a.config_digest, d.config_digest);
});

Deno.test("buildRunMeta() defaults to a random UUID and worker 0 of 1", async () => {
  const a = await buildRunMeta(CONFIG, null);
  const b = await buildRunMeta(CONFIG, null);
  assert.match(a.run_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.notEqual(a.run_id, b.run_id);
  assert.equal(a.worker, 0);
  assert.equal(a.workers, 1);
  await assert.rejects(() => buildRunMeta(CONFIG, null, "has space"), TypeError);
  await assert.rejects(() => buildRunMeta(CONFIG, null, ""), TypeError);
});

Deno.test("writeRunMeta() and readRunMeta() round-trip the sidecar", async () => {
  await withDir(async (dir) => {
    const csv = `${dir}/w1.csv`;
    assert.equal(await readRunMeta(csv), null);
    const meta = await buildRunMeta(CONFIG, { index: 1, count: 3 }, "R");
    await writeRunMeta(csv, meta);
    assert.equal(metaPath(csv), `${csv}.meta.json`);
    assert.deepEqual(await readRunMeta(csv), meta);
    assert.deepEqual(coveredWorkers(meta), [1]);
    const merged: RunMeta = {
      ...meta,
      worker: 0,
      merged: { workers: [0, 1, 2], files: [] },
    };
    await writeRunMeta(csv, merged);
    const back = await readRunMeta(csv);
    assert.deepEqual(back, merged);
    assert.deepEqual(coveredWorkers(back!), [0, 1, 2]);
  });
});

Deno.test("readRunMeta() names the file and field of a broken sidecar", async () => {
  await withDir(async (dir) => {
    const csv = `${dir}/x.csv`;
    const good = await buildRunMeta(CONFIG, { index: 0, count: 2 }, "R");
    const cases: [string, RegExp][] = [
      ["{not json", /not valid JSON/],
      ["[]", /expected a JSON object/],
      [JSON.stringify({ ...good, run_id: "" }), /"run_id"/],
      [JSON.stringify({ ...good, config_digest: "abc" }), /"config_digest"/],
      [JSON.stringify({ ...good, worker: 2 }), /"worker" must be a whole number in \[0, 2\)/],
      [JSON.stringify({ ...good, workers: 0 }), /"workers"/],
      [JSON.stringify({ ...good, started_at: "yesterday" }), /"started_at"/],
      [JSON.stringify({ ...good, config: null }), /"config"/],
      [JSON.stringify({ ...good, merged: { workers: [5], files: [] } }), /"merged"/],
    ];
    for (const [text, re] of cases) {
      await Deno.writeTextFile(metaPath(csv), text);
      await assert.rejects(() => readRunMeta(csv), (err: unknown) => {
        assert.ok(err instanceof SyntaxError, String(err));
        assert.match(err.message, re);
        assert.ok(err.message.includes(metaPath(csv)));
        return true;
      });
    }
  });
});
