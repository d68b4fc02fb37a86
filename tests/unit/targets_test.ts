import assert from "node:assert/strict";
import { derivedName, MAX_ENTRIES, parseTargets, targetSequence } from "../../lib/load/targets.ts";

const U = "http://127.0.0.2:8080";

const JSONL = [
  `{"name":"fast","url":"${U}/fast"}`,
  `{"name":"other","method":"post","url":"${U}/other","header":{"X-A":"1","X-B":["2","3"]},"body":"{\\"q\\":1}","weight":1}`,
  `{"name":"slow","url":"${U}/slow","body_file":"slow.json","weight":2}`,
].join("\n");

const HTTP = `# the same three targets
GET ${U}/fast

POST ${U}/other
X-A: 1
X-B: 2
X-B: 3
@other.json

GET ${U}/slow
@slow.json
`;

/** The error a parse throws, or "" when it parses. */
function problem(text: string): string {
  try {
    parseTargets(text, "t.txt");
    return "";
  } catch (err) {
    assert.ok(err instanceof SyntaxError, `a SyntaxError, got ${err}`);
    return err.message;
  }
}

Deno.test("parseTargets() reads JSON lines: names, methods, headers, bodies and weights", () => {
  const t = parseTargets(JSONL, "t.jsonl");
  assert.equal(t.format, "jsonl");
  assert.deepEqual(t.names, ["fast", "other", "slow"]);
  const [fast, other, slow] = t.entries;
  assert.equal(fast?.method, "GET");
  assert.equal(fast?.body, null);
  assert.equal(other?.method, "POST");
  assert.deepEqual(other?.headers, [["X-A", "1"], ["X-B", "2"], ["X-B", "3"]]);
  assert.equal(new TextDecoder().decode(other?.body as Uint8Array), '{"q":1}');
  assert.deepEqual(slow?.body, { file: "slow.json" });
  assert.equal(slow?.method, "POST"); // a body makes the default method POST
  assert.deepEqual(t.entries.map((e) => e.weight), [1, 1, 2]);
  assert.deepEqual(t.entries.map((e) => e.line), [1, 2, 3]);
});

Deno.test("parseTargets() reads vegeta's http format: METHOD URL, headers, @body, blank lines, comments", () => {
  const t = parseTargets(HTTP, "t.http");
  assert.equal(t.format, "http");
  assert.deepEqual(t.names, ["GET /fast", "POST /other", "GET /slow"]);
  assert.deepEqual(t.entries[1]?.headers, [["X-A", "1"], ["X-B", "2"], ["X-B", "3"]]);
  assert.deepEqual(t.entries[1]?.body, { file: "other.json" });
  assert.deepEqual(t.entries[2]?.body, { file: "slow.json" });
  assert.deepEqual(t.entries.map((e) => e.line), [2, 4, 10]);
});

Deno.test("parseTargets() reads body_base64, and unnamed lines of one endpoint form one target (a request feed)", () => {
  const feed = [1, 2, 3].map((i) => `{"url":"${U}/v1/infer","body":"{\\"prompt\\":${i}}"}`);
  const t = parseTargets(
    [...feed, `{"url":"${U}/x","body_base64":"aGk="}`].join("\n"),
    "feed.jsonl",
  );
  assert.deepEqual(t.names, ["POST /v1/infer", "POST /x"]);
  assert.equal(t.entries.length, 4);
  assert.equal(new TextDecoder().decode(t.entries[3]?.body as Uint8Array), "hi");
});

Deno.test("derivedName() is method and path, characters a name cannot hold replaced", () => {
  assert.equal(derivedName("GET", `${U}/a,b:c?x=1`), "GET /a_b_c");
});

Deno.test("parseTargets() names the file and line of every bad input", () => {
  const cases: [string, RegExp][] = [
    [`{"url":"${U}/a"}\n{"url": oops}`, /t\.txt, line 2: not a JSON object/],
    [`GET ${U}/a\nnot a header`, /line 2: expected a "Name: value" header/],
    [`GET`, /line 1: expected "METHOD URL"/],
    [`FETCH ${U}/a`, /line 1: unknown method "FETCH"/],
    [`{"method":"BREW","url":"${U}/a"}`, /line 1: unknown method "BREW"/],
    [`GET /relative/path`, /line 1: "\/relative\/path" is not an absolute http\(s\) URL/],
    [`{"url":"api/v1"}`, /line 1: "api\/v1" is not an absolute/],
    [`{"url":"${U}/a","weight":0}`, /line 1: weight 0 is not a whole number from 1/],
    [`{"url":"${U}/a","weight":-2}`, /weight -2 is not/],
    [`{"url":"${U}/a","weight":"x"}`, /weight "x" is not/],
    [`{"url":"${U}/a","weight":1.5}`, /weight 1.5 is not/],
    [`{"url":"${U}/a","weight":null}`, /weight null is not/],
    [
      `{"name":"a","url":"${U}/a"}\n{"name":"a","url":"${U}/b"}`,
      /line 2: target name "a" is already used on line 1/,
    ],
    [
      `{"url":"${U}/a"}\n{"name":"GET /a","url":"${U}/b"}`,
      /line 2: target name "GET \/a" is already used/,
    ],
    [`{"url":"${U}/a","wieght":2}`, /line 1: unknown key "wieght"/],
    [`{"name":"a:b","url":"${U}/a"}`, /line 1: invalid name "a:b"/],
    [`{"url":"${U}/a","body":"x","body_file":"y"}`, /give one of body, body_file/],
    [`GET ${U}/a\n@b.json\nX-A: 1`, /line 3: a header after the @body line/],
    ["", /t\.txt: it holds no target/],
    ["\n  \n# only a comment\n", /it holds no target/],
  ];
  for (const [text, want] of cases) assert.match(problem(text), want, text);
});

/** The 99% two-sided normal range of a binomial count. */
function range99(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - 2.576 * sd, n * p + 2.576 * sd];
}

Deno.test("targetSequence() round-robin interleaves one cycle of the weights, in order", () => {
  const s = targetSequence([1, 1, 2], "round-robin", 7);
  assert.deepEqual(Array.from({ length: 8 }, (_, k) => s.at(k)), [2, 0, 1, 2, 2, 0, 1, 2]);
  const plain = targetSequence([1, 1, 1], "round-robin", 1);
  assert.deepEqual(Array.from({ length: 4 }, (_, k) => plain.at(k)), [0, 1, 2, 0]);
});

Deno.test("targetSequence() weighted: counts within the 99% binomial range, same seed same sequence", () => {
  const n = 2000;
  const a = targetSequence([1, 1, 2], "weighted", 7);
  const b = targetSequence([1, 1, 2], "weighted", 7);
  const c = targetSequence([1, 1, 2], "weighted", 8);
  const seqA = Array.from({ length: n }, (_, k) => a.at(k));
  assert.deepEqual(Array.from({ length: n }, (_, k) => b.at(k)), seqA);
  assert.notDeepEqual(Array.from({ length: n }, (_, k) => c.at(k)), seqA);
  const counts = [0, 1, 2].map((i) => seqA.filter((x) => x === i).length);
  for (const [i, p] of [[0, 0.25], [1, 0.25], [2, 0.5]] as const) {
    const [lo, hi] = range99(n, p);
    assert.ok(counts[i]! >= lo && counts[i]! <= hi, `target ${i}: ${counts[i]} in [${lo}, ${hi}]`);
  }
  // Independent of the shard split: request k is the same whoever sends it.
  assert.equal(a.at(1999), seqA[1999]);
});

Deno.test("targetSequence() round-robin over a large feed stays in file order, built at once", () => {
  const s = targetSequence(Array.from({ length: 50_000 }, () => 1), "round-robin", 1);
  assert.deepEqual([0, 1, 49_999, 50_000, 50_001].map((k) => s.at(k)), [0, 1, 49_999, 0, 1]);
});

Deno.test("targetSequence() plain runs keep each weight's run length past the cycle-size limit", () => {
  const weights = [3, ...Array.from({ length: 20_000 }, () => 1), 2];
  const s = targetSequence(weights, "round-robin", 1);
  const total = 3 + 20_000 + 2;
  assert.deepEqual([0, 1, 2, 3, 4, total - 2, total - 1, total].map((k) => s.at(k)), [
    0,
    0,
    0,
    1,
    2,
    20_001,
    20_001,
    0,
  ]);
});

Deno.test("parseTargets() refuses a file of more than MAX_ENTRIES requests, naming the first line over", () => {
  const text = "GET http://127.0.0.2:9/a\n\n".repeat(MAX_ENTRIES + 1);
  assert.match(
    problem(text),
    new RegExp(`line ${2 * MAX_ENTRIES + 1}: more than ${MAX_ENTRIES} targets`),
  );
  assert.equal(
    parseTargets("GET http://127.0.0.2:9/a\n\n".repeat(MAX_ENTRIES), "t").entries.length,
    MAX_ENTRIES,
  );
});
