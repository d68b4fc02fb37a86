/**
 * `bench --out` on a shared machine (issue 22: M3, L10, L12): two runs on
 * one path leave one whole run, a path that is not a regular file is refused
 * before the run, and a missing write permission under `deno task bench`
 * names what works.
 */
import assert from "node:assert/strict";
import { CSV_HEADER } from "../../lib/record.ts";
import { serveMock } from "../../mock/server.ts";
import { oneLine, runCli } from "../_cli.ts";
import { QUICK_MOCK } from "../_fault_matrix.ts";
import { withTempDir } from "../_temp_dir.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("bench --out refuses /dev, /proc, a FIFO, a directory and a symlink before the run", async () => {
  await withTempDir(async (dir) => {
    const sh = await new Deno.Command("sh", {
      args: ["-c", `mkfifo ${dir}/fifo.csv && ln -s target.csv ${dir}/link.csv`],
    }).output();
    assert.equal(sh.code, 0);
    await Deno.mkdir(`${dir}/d.csv`);
    // Nothing listens on port 9: a run that started would exit 4, not 2.
    const url = "http://127.0.0.1:9/api";
    const cases: [string, RegExp][] = [
      ["/dev/stdout", /under \/dev\/, not a regular file/],
      ["/proc/self/fd/1", /under \/proc\/, not a regular file/],
      [`${dir}/fifo.csv`, /not a regular file \(a device, FIFO or socket\)/],
      [`${dir}/d.csv`, /it is a directory/],
      [`${dir}/link.csv`, /symbolic link/],
    ];
    for (const [out, pattern] of cases) {
      const r = await runCli(["bench", url, "-n", "1", "-q", "--out", out], {
        writeDirs: [dir, "/dev", "/proc"],
      });
      assert.equal(r.code, 2, `${out}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern, out);
      assert.match(r.stderr, /give a regular file path/, out);
      oneLine(r.stderr);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "d.csv",
      "fifo.csv",
      "link.csv",
    ]);
    assert.ok((await Deno.lstat(`${dir}/link.csv`)).isSymlink);
  });
});

Deno.test("two bench runs on one --out leave one run's whole CSV and its own sidecar", async () => {
  const server = serveMock(QUICK_MOCK);
  await withTempDir(async (dir) => {
    const out = `${dir}/x.csv`;
    const spawn = (runId: string) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "--allow-net=127.0.0.1",
          "--allow-read",
          `--allow-write=${dir}`,
          "--allow-env=NO_COLOR",
          MAIN,
          "bench",
          `${server.url}/api`,
          "-d",
          "3s",
          "-c",
          "4",
          "-q",
          "--run-id",
          runId,
          "--out",
          out,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
    // Overlapping runs, the second started 1.5 s into the first (each lasts 3 s).
    const first = spawn("first");
    await new Promise((r) => setTimeout(r, 1500));
    const second = spawn("second");
    const [a, b] = await Promise.all([first.output(), second.output()]);
    const dec = new TextDecoder();
    assert.equal(a.code, 0, dec.decode(a.stderr));
    assert.equal(b.code, 0, dec.decode(b.stderr));
    const rowsOf = (o: Deno.CommandOutput) =>
      Number(/\((\d+) rows\)/.exec(dec.decode(o.stdout))?.[1]);
    const report = await runCli(["report", out, "--json"]);
    assert.equal(report.code, 0, report.stderr);
    const count = JSON.parse(report.stdout).count;
    // The file is one run, whole: its row count is that run's, and the sidecar names that run.
    const meta = JSON.parse(await Deno.readTextFile(`${out}.meta.json`));
    const winner = meta.run_id === "first" ? a : b;
    assert.equal(count, rowsOf(winner), `rows ${count}, runs ${rowsOf(a)} and ${rowsOf(b)}`);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "x.csv",
      "x.csv.meta.json",
    ]);
  });
  await server.close();
});

Deno.test("under deno task bench, no write permission for --out names what works", async () => {
  await withTempDir(async (dir) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "bench", "http://127.0.0.1:9/api", "-n", "1", "--out", `${dir}/x.csv`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /No write permission for --out .*x\.csv: write under results\//);
    assert.match(stderr, /run the installed tailgate/);
    assert.match(stderr, new RegExp(`deno run with --allow-write=${dir}`));
    oneLine(stderr);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("bench --json and report --html granted the file alone are refused before anything runs", async () => {
  await withTempDir(async (dir) => {
    // The file exists, so only the temporary file written beside it lacks a grant.
    const json = `${dir}/run.json`;
    const html = `${dir}/r.html`;
    await Deno.writeTextFile(json, "old");
    const csv = `${dir}/in.csv`;
    const row = "0,1795735820016.75,208.718,200,207.819,459,,1795735820016.5,0,0,,,,,";
    await Deno.writeTextFile(csv, `${CSV_HEADER}\n${row}\n`);
    const run = (args: string[], file: string) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "--allow-read",
          "--allow-net=127.0.0.1",
          `--allow-write=${file}`,
          MAIN,
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
    for (
      const [args, file, flag] of [
        [
          ["bench", "http://127.0.0.1:9/api", "-n", "3", "--no-csv", "--json", json],
          json,
          "--json",
        ],
        [["report", csv, "--html", html], html, "--html"],
      ] as const
    ) {
      const out = await run([...args], file);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.equal(new TextDecoder().decode(out.stdout), "", `${flag}: refused before the run`);
      assert.match(
        stderr,
        new RegExp(
          `No write permission in ${dir}/: ${flag} .* is written to a temporary file there`,
        ),
      );
      oneLine(stderr);
    }
    assert.equal(await Deno.readTextFile(json), "old");
  });
});
