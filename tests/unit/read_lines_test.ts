import assert from "node:assert/strict";
import { printable, readLineBatches } from "../../lib/records/read_lines.ts";

/** A byte source that hands out `data` in reads of at most `step` bytes, then `tail` forever. */
function source(data: Uint8Array, step: number, tail?: number) {
  let at = 0;
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    read(buf: Uint8Array): Promise<number | null> {
      reads++;
      if (at >= data.length) {
        if (tail === undefined) return Promise.resolve(null);
        const n = Math.min(buf.length, step);
        buf.fill(tail, 0, n);
        return Promise.resolve(n);
      }
      const n = Math.min(buf.length, step, data.length - at);
      buf.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

async function all(src: ReturnType<typeof source>, opts = {}) {
  const out: string[] = [];
  const firsts: number[] = [];
  for await (const b of readLineBatches(src, "test", opts)) {
    assert.equal(b.first, out.length + 1);
    firsts.push(b.first);
    out.push(...b.lines);
  }
  return out;
}

Deno.test("readLineBatches() splits lines across any read size", async () => {
  const text = "\ufeffa,b\r\n1,2\n\n3,4";
  const bytes = new TextEncoder().encode(text);
  for (const step of [1, 2, 3, 7, 1000]) {
    assert.deepEqual(await all(source(bytes, step), { readSize: 4 }), ["a,b", "1,2", "", "3,4"]);
  }
});

Deno.test("readLineBatches() ends an endless line in one error instead of reading forever", async () => {
  // (head -c 100 good.csv; cat /dev/zero): a header, then NUL bytes with no newline, forever.
  const src = source(new TextEncoder().encode("request_id,timestamp_ms\n1,2"), 1 << 16, 0);
  await assert.rejects(() => all(src, { maxLineBytes: 1 << 20 }), (err: Error) => {
    assert.ok(err instanceof SyntaxError);
    assert.match(err.message, /line 2 is longer than 1048576 bytes/);
    return true;
  });
  assert.ok(src.reads < 40, `stopped after ${src.reads} reads`);
});

Deno.test("readLineBatches() reads a long line in linear time", async () => {
  // 900 KiB in 1 KiB reads: re-scanning the growing line each read would be 900 passes over it.
  const line = "x".repeat(900 * 1024);
  const t0 = performance.now();
  const got = await all(source(new TextEncoder().encode(line + "\nend\n"), 1024));
  assert.equal(got[0]!.length, line.length);
  assert.equal(got[1], "end");
  assert.ok(performance.now() - t0 < 5_000);
});

Deno.test("readLineBatches() names the true line of a bad UTF-8 byte", async () => {
  const head = new TextEncoder().encode("l1\nl2\nl3\nl4\nl5\nl6\nbad ");
  const bytes = new Uint8Array([...head, 0xff, ...new TextEncoder().encode("\nl8\n")]);
  for (const step of [3, 1 << 20]) {
    await assert.rejects(() => all(source(bytes, step)), /line 7 is not valid UTF-8/);
  }
});

Deno.test("printable() escapes ESC and NUL so a message cannot drive the terminal", () => {
  assert.equal(printable("a\x1b[2J\x00b"), "a\\x1b[2J\\x00b");
  assert.equal(printable("x".repeat(10), 4), "xxxx…");
});
