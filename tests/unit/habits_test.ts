import assert from "node:assert/strict";
import { translateHabits } from "../../lib/cli/_habits.ts";
import { UsageError } from "../../lib/cli/_usage_error.ts";

const URL = "http://127.0.0.1:8080/";

Deno.test("translateHabits() accepts -z as a duration, as hey and oha do", () => {
  assert.deepEqual(translateHabits([URL, "-z", "10s"], { durationFlag: true }), [
    URL,
    "--duration",
    "10s",
  ]);
  assert.deepEqual(translateHabits([URL, "-z=2m"], { durationFlag: true }), [
    URL,
    "--duration",
    "2m",
  ]);
});

Deno.test("translateHabits() leaves tailgate's own spelling alone", () => {
  const args = [URL, "-d", "30s", "-q", "-o", "results/run.csv", "--body", '{"a":1}'];
  assert.deepEqual(translateHabits(args, { durationFlag: true }), args);
});

Deno.test("translateHabits() names the tailgate equivalent of a clashing habit", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["-d with a JSON body", ["-d", '{"a":1}'], /-d is a duration.*a request body is --body/],
    ["-d with a form body", ["-d", "a=1&b=2"], /-d is a duration/],
    ["-q 50 as a rate", ["-q", "50"], /-q is --quiet.*--rate 50/],
    ["-q=50 as a rate", ["-q=50"], /-q is --quiet.*--rate R/],
    ["-o csv as a format", ["-o", "csv"], /-o takes a file path.*file named "csv"/],
    ["--out=json as a format", ["--out=json"], /file named "json"/],
    ["wrk2 -R", ["-R", "100"], /--rate R/],
    ["wrk -t", ["-t", "2"], /--shard/],
    ["hey -T", ["-T", "application/json"], /--content-type/],
    ["hey -D", ["-D", "body.json"], /--body @FILE/],
    ["k6 --vus", ["--vus", "10"], /-c C/],
  ];
  for (const [name, args, want] of cases) {
    await t.step(name, () => {
      assert.throws(() => translateHabits([URL, ...args], { durationFlag: true }), (e) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, want);
        assert.ok(!e.message.includes('{"a":1}'), "the body is not echoed");
        return true;
      });
    });
  }
});
