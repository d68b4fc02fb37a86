import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";

const CSV = "request_id,timestamp_ms,latency_ms,status_code\n0,1000,5,200\n1,1001,6,200\n";

async function sh(cmd: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", cmd] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

function oneLine(stderr: string): void {
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
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
