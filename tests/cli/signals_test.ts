/**
 * Ctrl-C safety: a spawned `tailgate bench` receives SIGINT/SIGTERM while
 * requests are in flight; it stops sending, finishes or writes off what is
 * in flight, leaves a valid CSV with a row for every request started,
 * prints a summary marked PARTIAL and exits 130.
 */
import assert from "node:assert/strict";
import { readRecordBatches } from "../../lib/records/read_records.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { FAST_MOCK, serveStallMock, type StallMock } from "../_stall_mock.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const PERMS = ["--allow-net=127.0.0.1,localhost", "--allow-read=.", "--allow-write=results"];

function spawnBench(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, "main.ts", "bench", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function readCsv(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const batch of readRecordBatches(path)) out.push(...batch);
  return out;
}

async function finish(child: Deno.ChildProcess) {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withMock(fn: (server: StallMock, csv: string, json: string) => Promise<void>) {
  const server = serveStallMock(FAST_MOCK);
  const tag = `results/_signals_${Deno.pid}_${Math.floor(Math.random() * 1e9)}`;
  try {
    await fn(server, `${tag}.csv`, `${tag}.json`);
  } finally {
    await server.close();
    for (const f of [`${tag}.csv`, `${tag}.csv.meta.json`, `${tag}.json`]) {
      await Deno.remove(`${ROOT}${f}`).catch(() => {});
    }
  }
}

Deno.test("SIGINT stops sending, waits for requests in flight, writes a valid CSV, exits 130", async () => {
  await withMock(async (server, csv, json) => {
    const child = spawnBench([
      `${server.url}/api`,
      "--rate",
      "100",
      "-d",
      "30s",
      "--max-in-flight",
      "4",
      "--timeout",
      "3s",
      "--out",
      csv,
      "--json",
      json,
      "--sla",
      "p95<=1s",
    ]);
    await until(() => server.seen >= 20, "20 requests");
    server.stall(300); // requests in flight now finish only after 300 ms
    await new Promise((r) => setTimeout(r, 50));
    const seenAtSignal = server.seen;
    child.kill("SIGINT");
    const r = await finish(child);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /PARTIAL \(interrupted by SIGINT\)/);
    assert.match(r.stdout, /p95<=1s/, "the summary still evaluates the rules");
    const rows = await readCsv(`${ROOT}${csv}`);
    assert.ok(rows.length >= seenAtSignal, `${rows.length} rows for ${seenAtSignal} requests`);
    assert.equal(rows.length, server.seen, "a row for every request that reached the server");
    assert.ok(rows.every((x) => x.status === 200), "requests in flight were allowed to finish");
    assert.ok(rows.some((x) => x.latencyMs >= 250), "including the ones held by the stall");
    const doc = JSON.parse(await Deno.readTextFile(`${ROOT}${json}`));
    assert.equal(doc.partial, true);
    assert.equal(doc.interrupted_by, "SIGINT");
    assert.equal(doc.exit_code, 130);
    assert.equal(doc.summary.count, rows.length);
  });
});

Deno.test("SIGTERM then a second signal gives up on a stalled server and records requests as aborted", async () => {
  await withMock(async (server, csv) => {
    const child = spawnBench([
      `${server.url}/api`,
      "-c",
      "3",
      "-d",
      "30s",
      "--timeout",
      "30s",
      "--out",
      csv,
      "-q",
    ]);
    await until(() => server.seen >= 10, "10 requests");
    server.stall(Infinity);
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGINT"); // second signal: do not wait 30 s
    const r = await finish(child);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /PARTIAL \(interrupted by SIGTERM\)/);
    const rows = await readCsv(`${ROOT}${csv}`);
    const aborted = rows.filter((x) => x.error === "aborted");
    assert.equal(aborted.length, 3, "the three requests held by the stall are recorded");
    assert.equal(rows.length, server.seen, "a row for every request started");
    assert.ok(aborted.every((x) => x.status === 0));
  });
});
