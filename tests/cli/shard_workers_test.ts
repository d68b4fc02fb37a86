/**
 * Sharded runs end to end: N real worker processes against the mock on
 * loopback, merged, compared with the stats over all their rows; and the
 * deploy/ recipes (Kubernetes Indexed Job, GitHub Actions matrix) checked
 * against the Kubernetes and GitHub workflow schemas.
 */
import assert from "node:assert/strict";
import { validateWorkflow } from "@action-validator/core";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Job } from "kubernetes-models/batch/v1/Job";
import { parseAllDocuments } from "yaml";
import { serveMock } from "../../mock/server.ts";
import { readRecordsFile } from "../../lib/records/read_records.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { readRunMeta } from "../../lib/records/run_meta.ts";
import { shardShare } from "../../lib/load/shard.ts";
import { percentile, SummaryBuilder } from "../../lib/stats/summary.ts";
import { runCli } from "../_cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function readAll(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of readRecordsFile(path)) out.push(r);
  return out;
}

Deno.test("N bench workers with --shard merge into exactly the union of their rows", async () => {
  const WORKERS = 3;
  const REQUESTS = 30;
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "shard_workers_test_" });
  const server = serveMock({ port: 0, rttMs: 0, serviceMedianMs: 1, slowRate: 0, setupRtts: 0 });
  try {
    const url = new URL("/api", server.url).href;
    // A shared start a little ahead, as the deploy recipes do, so the three
    // processes' load overlaps whatever their start-up time.
    const startAt = Date.now() + 2500;
    const runs = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        runCli([
          "bench",
          url,
          "--shard",
          `${i}/${WORKERS}`,
          "--run-id",
          "local-test",
          "-n",
          String(REQUESTS),
          "-c",
          "3",
          "--timeout",
          "5s",
          "--start-at",
          String(startAt),
          "--quiet",
          "--out",
          `${dir}/w${i}.csv`,
        ], { writeDirs: [dir] })),
    );
    runs.forEach((r, i) => {
      assert.equal(
        r.code,
        0,
        `worker ${i}/${WORKERS} failed (does bench support --shard and --run-id yet?): ${r.stderr.trim()}`,
      );
    });
    const files = runs.map((_, i) => `${dir}/w${i}.csv`);
    const perWorker = await Promise.all(files.map(readAll));
    const metas = await Promise.all(files.map(readRunMeta));

    // Each worker sent its share, tagged with its index and ids unique across workers.
    perWorker.forEach((rows, i) => {
      assert.equal(rows.length, shardShare(REQUESTS, i, WORKERS), `worker ${i} rows`);
      assert.ok(rows.every((r) => r.worker === i), `worker ${i} column`);
      assert.ok(rows.every((r) => r.status === 200 && r.error === ""), `worker ${i} errors`);
      assert.equal(metas[i]?.run_id, "local-test");
      assert.equal(metas[i]?.worker, i);
      assert.equal(metas[i]?.workers, WORKERS);
    });
    assert.equal(new Set(metas.map((m) => m?.config_digest)).size, 1, "one config digest");
    const all = perWorker.flat();
    for (const r of all) {
      assert.ok(r.startedMs >= startAt, `request ${r.id} started before --start-at`);
    }
    assert.equal(new Set(all.map((r) => r.id)).size, REQUESTS, "request ids unique across workers");
    // The server saw the sum of the workers' requests.
    const stats = await (await fetch(new URL("/stats", server.url))).json();
    assert.equal(stats.digest.count, REQUESTS);

    const out = `${dir}/all.csv`;
    const merged = await runCli(["merge", ...files, "-o", out], { writeDirs: [dir] });
    assert.equal(merged.code, 0, merged.stderr);
    const rows = await readAll(out);
    assert.equal(rows.length, perWorker.reduce((a, r) => a + r.length, 0));
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rows[i - 1]!.startedMs <= rows[i]!.startedMs, `row ${i} out of order`);
    }
    // Percentiles over the merged file equal those over all rows, not per-worker averages.
    const union = all.map((r) => r.latencyMs).sort((a, b) => a - b);
    const report = await runCli(["report", out, "--json"]);
    assert.equal(report.code, 0, report.stderr);
    const summary = JSON.parse(report.stdout);
    assert.equal(summary.count, REQUESTS);
    assert.equal(summary.successes, REQUESTS);
    for (const p of [50, 90, 95, 99] as const) {
      assert.equal(summary[`p${p}_ms`], percentile(union, p), `p${p}`);
    }
    const b = new SummaryBuilder();
    for (const r of all) b.add(r);
    assert.equal(summary.max_ms, b.summary().max_ms);
    assert.deepEqual((await readRunMeta(out))?.merged?.workers, [0, 1, 2]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

type Doc = Record<string, unknown> & { kind: string; metadata: { name: string } };

async function manifests(file: string): Promise<Doc[]> {
  const text = await Deno.readTextFile(`${ROOT}deploy/k8s/${file}`);
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs), `${file} did not parse`);
  for (const d of docs) {
    assert.deepEqual(d.errors, [], `${file}: ${d.errors.join("; ")}`);
    assert.deepEqual(d.warnings, [], `${file}: ${d.warnings.join("; ")}`);
  }
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** Validates against the Kubernetes OpenAPI schema bundled in kubernetes-models. */
function validateK8s(doc: Doc): void {
  const model = doc.kind === "Job"
    ? new Job(doc as never)
    : doc.kind === "ConfigMap"
    ? new ConfigMap(doc as never)
    : doc.kind === "PersistentVolumeClaim"
    ? new PersistentVolumeClaim(doc as never)
    : null;
  assert.ok(model, `unexpected kind ${doc.kind}`);
  model.validate();
}

function container(job: Doc): {
  args: string[];
  envFrom: { configMapRef: { name: string } }[];
  volumeMounts: { name: string; mountPath: string }[];
} {
  // deno-lint-ignore no-explicit-any
  return (job as any).spec.template.spec.containers[0];
}

Deno.test("deploy/k8s manifests are valid Kubernetes objects of one consistent run", async () => {
  const config = await manifests("run-config.yaml");
  const workers = await manifests("indexed-job.yaml");
  const merge = await manifests("merge-job.yaml");
  for (const doc of [...config, ...workers, ...merge]) validateK8s(doc);
  assert.deepEqual(config.map((d) => d.kind), ["ConfigMap"]);
  assert.deepEqual(workers.map((d) => d.kind), ["PersistentVolumeClaim", "Job"]);
  assert.deepEqual(merge.map((d) => d.kind), ["Job"]);
  const cm = config[0]! as Doc & { data: Record<string, string> };
  const pvc = workers[0]!;
  // deno-lint-ignore no-explicit-any
  const job = workers[1]! as any;
  // deno-lint-ignore no-explicit-any
  const mergeJob = merge[0]! as any;
  const n = Number(cm.data.WORKERS);
  assert.equal(job.spec.completionMode, "Indexed");
  assert.equal(job.spec.completions, n);
  assert.equal(job.spec.parallelism, n);
  assert.equal(job.spec.template.spec.restartPolicy, "Never");
  for (const j of [job, mergeJob]) {
    assert.equal(container(j).envFrom[0]!.configMapRef.name, cm.metadata.name);
    assert.equal(
      j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName,
      pvc.metadata.name,
    );
    assert.equal(container(j).volumeMounts[0]!.mountPath, "/results");
  }
  assert.deepEqual(Object.keys(cm.data).sort(), [
    "CLIENT",
    "CONCURRENCY",
    "REQUESTS",
    "RUN_ID",
    "SLA",
    "START_AT",
    "TARGET_URL",
    "WORKERS",
  ]);
});

/** Runs a manifest's shell script with a fake `tailgate` that prints its arguments. */
async function runScript(
  script: string,
  env: Record<string, string>,
  dir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  await Deno.writeTextFile(
    `${dir}/tailgate`,
    '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done; echo\n',
  );
  await Deno.chmod(`${dir}/tailgate`, 0o755);
  const cmd = new Deno.Command("/bin/sh", {
    args: ["-c", script.replaceAll("/results", `${dir}/results`)],
    env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("the Indexed Job's scripts pass --shard INDEX/N and the run id to tailgate", async () => {
  const [cm] = await manifests("run-config.yaml") as (Doc & { data: Record<string, string> })[];
  const [, job] = await manifests("indexed-job.yaml");
  const [mergeJob] = await manifests("merge-job.yaml");
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "k8s_script_test_" });
  try {
    const env = { ...cm!.data, RUN_ID: "r1", JOB_COMPLETION_INDEX: "2" };
    const worker = await runScript(container(job!).args[0]!, env, dir);
    assert.equal(worker.code, 0, worker.stderr);
    const args = `[bench][${cm!.data.TARGET_URL}][--shard][2/4][--run-id][r1][-n][20000][-c][200]` +
      `[--client][optimized][--quiet][--out][${dir}/results/r1/w2.csv]`;
    const lines = worker.stdout.trim().split("\n");
    assert.match(lines[0]!, /^worker 2\/4 on .*: clock \d{4}-\d\d-\d\dT[\d:.]+Z, start now$/);
    assert.equal(lines[1], args);
    const start = "2030-01-01T00:00:00Z";
    const timed = await runScript(container(job!).args[0]!, { ...env, START_AT: start }, dir);
    assert.equal(timed.code, 0, timed.stderr);
    assert.equal(timed.stdout.trim().split("\n")[1], `${args}[--start-at][${start}]`);
    for (const i of [0, 1, 2, 3]) await Deno.writeTextFile(`${dir}/results/r1/w${i}.csv`, "");
    const merge = await runScript(container(mergeJob!).args[0]!, env, dir);
    assert.equal(merge.code, 0, merge.stderr);
    const csvs = [0, 1, 2, 3].map((i) => `[${dir}/results/r1/w${i}.csv]`).join("");
    assert.equal(
      merge.stdout.trim(),
      `[merge]${csvs}[-o][${dir}/results/r1/all.csv]\n[report][${dir}/results/r1/all.csv][--sla][p95<=800ms]`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the GitHub Actions matrix example is a valid workflow with one shard per worker", async () => {
  const text = await Deno.readTextFile(`${ROOT}deploy/github-actions/sharded-bench.yml`);
  const result = validateWorkflow(text) as { errors: unknown[] };
  assert.deepEqual(result.errors, [], JSON.stringify(result.errors));
  const [doc] = parseAllDocuments(text) as ReturnType<typeof parseAllDocuments> & unknown[];
  // deno-lint-ignore no-explicit-any
  const wf = (doc as any).toJS();
  const n = Number(wf.env.WORKERS);
  assert.deepEqual(wf.jobs.worker.strategy.matrix.shard, Array.from({ length: n }, (_, i) => i));
  const run = wf.jobs.worker.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
  assert.match(run, /--shard "\$\{\{ matrix\.shard \}\}\/\$WORKERS" --run-id "\$RUN_ID"/);
  const mergeRun = wf.jobs.merge.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
  assert.match(mergeRun, /merge results\/w\*\.csv -o results\/all\.csv/);
  assert.match(mergeRun, /report results\/all\.csv --sla/);
});
