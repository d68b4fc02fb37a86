import assert from "node:assert/strict";
import { serveMock } from "../../mock/server.ts";
import { oneLine, runCli } from "../_cli.ts";
import { QUICK_MOCK } from "../_fault_matrix.ts";
import { withTempDir } from "../_temp_dir.ts";

const CSV = "request_id,timestamp_ms,latency_ms,status_code\n0,1000,5,200\n1,1001,6,200\n";

async function sh(cmd: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", cmd] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("merge -o refuses a device, a FIFO, a symlink and an input under another name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const input = `${dir}/w0.csv`;
    await Deno.writeTextFile(input, CSV);
    await Deno.writeTextFile(`${dir}/target.txt`, "keep me\n");
    await sh(
      `ln -s target.txt ${dir}/link.csv && mkfifo ${dir}/fifo.csv && ln ${input} ${dir}/alias.csv`,
    );
    // /dev/full itself is reachable only with --allow-all; the same device node made in the temp
    // dir (root only) shows what merge would do to it.
    await sh(`mknod ${dir}/full c 1 7 2>/dev/null || true`);
    const device = await Deno.lstat(`${dir}/full`).then((i) => i.isCharDevice, () => false);
    const cases: [string, RegExp][] = [
      ...(device ? [[`${dir}/full`, /not a regular file/] as [string, RegExp]] : []),
      [`${dir}/fifo.csv`, /not a regular file/],
      [`${dir}/link.csv`, /symbolic link/],
      [`${dir}/alias.csv`, /also an input/],
    ];
    for (const [out, pattern] of cases) {
      const r = await runCli(["merge", input, "-o", out, "--force"], { writeDirs: [dir] });
      assert.equal(r.code, 2, `${out}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern, out);
      oneLine(r.stderr);
    }
    if (device) assert.ok((await Deno.lstat(`${dir}/full`)).isCharDevice, "still a device");
    assert.ok((await Deno.lstat(`${dir}/fifo.csv`)).isFifo);
    assert.ok((await Deno.lstat(`${dir}/link.csv`)).isSymlink);
    assert.equal(await Deno.readTextFile(`${dir}/target.txt`), "keep me\n");
    assert.equal(await Deno.readTextFile(input), CSV);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const GOOD = "request_id,timestamp_ms,latency_ms,status_code\n" +
  "0,1764150000000,5,200\n1,1764150000010,6,200\n2,1764150000020,7,200\n";

/** Runs the CLI through `sh -c` (pipes, FIFOs, process substitution), with a time bound. */
async function shCli(script: string, dir: string): Promise<{ code: number; stderr: string }> {
  const deno =
    `${Deno.execPath()} run -q --allow-read --allow-write=${dir} --allow-env=NO_COLOR ${MAIN}`;
  const cmd = new Deno.Command("bash", {
    args: ["-c", script.replaceAll("TAILGATE", deno)],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("report and compare refuse to write over one of their inputs", async () => {
  await withTempDir(async (dir) => {
    const input = `${dir}/in.csv`;
    await Deno.writeTextFile(input, GOOD);
    await sh(`ln ${input} ${dir}/alias.csv`);
    for (
      const args of [
        ["report", input, "--html", input],
        ["report", input, "--junit", `${dir}/alias.csv`],
        ["report", `${dir}/./in.csv`, "--html", `${dir}/x.html`, "--junit", `${dir}/x.html`],
        ["compare", input, `${dir}/alias.csv`, "--html", `${dir}/alias.csv`],
      ]
    ) {
      const r = await runCli(args, { writeDirs: [dir] });
      assert.equal(r.code, 2, args.join(" "));
      oneLine(r.stderr);
      assert.equal(await Deno.readTextFile(input), GOOD, `${args.join(" ")} left the input alone`);
    }
  });
});

Deno.test("no data is no verdict: an empty run exits 3 with one line, never PASS", async () => {
  await withTempDir(async (dir) => {
    const files: Record<string, string> = {
      "header.csv": "request_id,timestamp_ms,latency_ms,status_code\n",
      "k6.csv": "metric_name,timestamp,metric_value,status,extra_tags,metadata\n" +
        "http_reqs,1700000000,1,200,,\n",
    };
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const r = await runCli(["report", `${dir}/${name}`, "--sla", "error_rate<=1%"]);
      assert.equal(r.code, 3, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /no measured request/);
      oneLine(r.stderr);
      assert.doesNotMatch(r.stdout, /PASS/);
    }
    // hey writes no row for a request that got no response (every one failed: a header alone).
    await Deno.writeTextFile(
      `${dir}/hey.csv`,
      "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n",
    );
    const hey = await runCli(["report", `${dir}/hey.csv`]);
    assert.equal(hey.code, 3, hey.stderr);
    assert.match(
      hey.stderr,
      /\(only a header\): .*; hey writes only requests that got a response, so every request may have failed/,
    );
    oneLine(hey.stderr);
    // Only warm-up rows: nothing measured either.
    const warm =
      "request_id,timestamp_ms,latency_ms,status_code,ttfb_ms,bytes,error,scheduled_ms," +
      "warmup,worker\n0,1764150000000,5,200,4,10,,1764150000000,1,0\n";
    await Deno.writeTextFile(`${dir}/warm.csv`, warm);
    const r = await runCli(["report", `${dir}/warm.csv`, "--sla", "p95<=800ms"]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
  });
});

Deno.test("report reads FIFOs, pipes and process substitution once, and ends an endless line", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/good.csv`, GOOD);
    const fifo = await shCli(
      `mkfifo ${dir}/f && (cat ${dir}/good.csv > ${dir}/f &) && TAILGATE report ${dir}/f`,
      dir,
    );
    assert.equal(fifo.code, 0, fifo.stderr);
    const sub = await shCli(`TAILGATE report <(cat ${dir}/good.csv)`, dir);
    assert.equal(sub.code, 0, sub.stderr);
    const zero = await shCli(
      `(head -c 60 ${dir}/good.csv; cat /dev/zero) | TAILGATE report -`,
      dir,
    );
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /line \d is longer than 1048576 bytes/);
    oneLine(zero.stderr);
  });
});

Deno.test("hostile rows get one line and exit 2, with control bytes escaped", async () => {
  await withTempDir(async (dir) => {
    const hey = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read," +
      "status-code,offset\n";
    const t = 1764150000000;
    const cases: [string, string, RegExp][] = [
      ["quote.csv", hey + '0.1,0,0,0,0.1,0,200,0\n"0.2,0,0,0,0.1,0,200,0.1\n', /not closed/],
      ["k6.csv", "metric_name,timestamp,metric_value\nhttp_req_duration,1700000000,5\n", /status/],
      ["neg.csv", hey + "-0.1,0,0,0,0.1,0,200,0\n", /negative/],
      ["dup.csv", GOOD + GOOD.split("\n").slice(1).join("\n"), /appears more than once/],
      ["zero.csv", GOOD + "3,0,5,200\n", /span more than 7 days/],
      ["huge.csv", GOOD + `3,${t},1e308,200\n`, /longer than a day/],
      ["esc.csv", "\x1b[2J\x00evil,header\n1,2\n", /\\x1b\[2J\\x00evil/],
    ];
    for (const [name, text, pattern] of cases) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const r = await runCli(["report", `${dir}/${name}`, "--sla", "throughput>=1/s"]);
      assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern, name);
      assert.ok(!r.stderr.includes("\x1b") && !r.stderr.includes("\x00"), name);
      oneLine(r.stderr);
    }
    // A bad UTF-8 byte on line 7 is reported on line 7.
    const lines = GOOD.split("\n").slice(0, 4).join("\n") + "\n3,1764150000030,5,200\n";
    const bytes = new TextEncoder().encode(lines + "4,1764150000040,5,20");
    await Deno.writeFile(`${dir}/utf8.csv`, new Uint8Array([...bytes, 0xff, 10]));
    const r = await runCli(["report", `${dir}/utf8.csv`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /line 6 is not valid UTF-8/);
  });
});

/** A 200 KB tmpfs (root only); `null` where mounting is not allowed. */
async function smallDisk(dir: string): Promise<string | null> {
  const mnt = `${dir}/small`;
  await Deno.mkdir(mnt);
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=200k", "tmpfs", mnt],
    stderr: "null",
  }).output().catch(() => null);
  return out?.code === 0 ? mnt : null;
}

async function unmount(mnt: string | null): Promise<void> {
  if (mnt !== null) await new Deno.Command("umount", { args: [mnt] }).output();
}

Deno.test("a failed write is one line naming the file, exit 4; a sidecar is never overwritten", async () => {
  const server = serveMock(QUICK_MOCK);
  await withTempDir(async (dir) => {
    const url = `${server.url}/api`;
    const bench = ["bench", url, "-n", "20", "-c", "2", "-q"];
    // --json at the CSV's sidecar: refused before anything is written.
    const side = await runCli([
      ...bench,
      "--out",
      `${dir}/x.csv`,
      "--json",
      `${dir}/x.csv.meta.json`,
    ], {
      writeDirs: [dir],
    });
    assert.equal(side.code, 2, side.stdout + side.stderr);
    assert.match(side.stderr, /sidecar/);
    oneLine(side.stderr);
    // --json on a device that refuses writes (/dev/full's node): exit 4, one line.
    await sh(`mknod ${dir}/full c 1 7 2>/dev/null || true`);
    if (await Deno.lstat(`${dir}/full`).then((i) => i.isCharDevice, () => false)) {
      const full = await runCli([...bench, "--no-csv", "--json", `${dir}/full`], {
        writeDirs: [dir],
      });
      assert.equal(full.code, 4, full.stdout + full.stderr);
      assert.match(full.stderr, /Cannot write --json .*full: No space left on device/);
      oneLine(full.stderr);
    }
    const mnt = await smallDisk(dir);
    try {
      if (mnt === null) return;
      // A disk that fills mid-run: exit 4, one line, and the CSV still reads (whole rows).
      const run = await runCli([
        ...bench.slice(0, 2),
        "-n",
        "20000",
        "-c",
        "8",
        "-q",
        "--out",
        `${mnt}/run.csv`,
      ], {
        writeDirs: [mnt],
      });
      assert.equal(run.code, 4, run.stdout + run.stderr);
      assert.match(run.stderr, /No space left on device/);
      oneLine(run.stderr);
      const back = await runCli(["report", `${mnt}/run.csv`]);
      assert.equal(back.code, 0, back.stderr);
      // A merge into a full disk: exit 4, one line, no temporary file left behind.
      await Deno.writeTextFile(
        `${dir}/big.csv`,
        "request_id,timestamp_ms,latency_ms,status_code\n" +
          Array.from({ length: 20_000 }, (_, i) => `${i},${1764150000000 + i},5,200`).join("\n") +
          "\n",
      );
      await Deno.remove(`${mnt}/run.csv`);
      await Deno.remove(`${mnt}/run.csv.meta.json`).catch(() => {});
      const merged = await runCli(["merge", `${dir}/big.csv`, "-o", `${mnt}/all.csv`, "--force"], {
        writeDirs: [mnt],
      });
      assert.equal(merged.code, 4, merged.stdout + merged.stderr);
      assert.match(merged.stderr, /No space left on device/);
      oneLine(merged.stderr);
      assert.deepEqual([...Deno.readDirSync(mnt)].map((e) => e.name), []);
    } finally {
      await unmount(mnt);
    }
  }).finally(() => server.close());
});
