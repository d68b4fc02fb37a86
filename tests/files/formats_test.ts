import assert from "node:assert/strict";
import { detectFormat } from "../../lib/records/formats/detect_format.ts";
import { readHeyCsv } from "../../lib/records/formats/hey.ts";
import { readK6Csv } from "../../lib/records/formats/k6.ts";
import { readOhaCsv } from "../../lib/records/formats/oha.ts";
import { readResults } from "../../lib/records/formats/read_results.ts";
import { readVegetaCsv } from "../../lib/records/formats/vegeta.ts";
import { summarize } from "../../lib/stats/summary.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));

Deno.test("detectFormat() names each fixture's tool", () => {
  for (const name of ["tailgate", "hey", "vegeta", "oha", "k6"] as const) {
    assert.equal(detectFormat(fixture(`${name}.csv`)), name, name);
  }
  assert.equal(detectFormat("a,b,c\n1,2,3\n"), null);
  assert.equal(detectFormat(""), null);
  assert.equal(detectFormat("\ufeffrequest_id,timestamp_ms,latency_ms,status_code\n"), "tailgate");
});

Deno.test("readResults() reads the real hey output in seconds as milliseconds", () => {
  const text = fixture("hey.csv");
  const r = readResults(text);
  assert.equal(r.format, "hey");
  assert.equal(r.detected, true);
  assert.equal(r.records.length, 50);
  assert.ok(r.notes.some((n) => n.includes("transport errors")));
  // First data row: 0.0050,0.0003,0.0000,0.0000,0.0045,0.0001,200,0.0001
  const first = r.records.find((x) => x.startedMs === 0.1);
  assert.ok(first);
  assert.equal(first.latencyMs, 5);
  assert.ok(Math.abs((first.ttfbMs ?? 0) - 4.8) < 1e-9);
  // The server answered every 25th request with 503.
  assert.equal(r.records.filter((x) => x.status === 503 && x.error === "http_5xx").length, 2);
  for (let i = 1; i < r.records.length; i++) {
    assert.ok(r.records[i]!.startedMs >= r.records[i - 1]!.startedMs, "sorted by start");
  }
  const s = summarize(r.records);
  assert.equal(s.count, 50);
  assert.equal(s.errors, 2);
  assert.ok(s.p50_ms !== null && s.p50_ms > 1 && s.p50_ms < 100);
});

Deno.test("readHeyCsv() accepts the older six-column layout", () => {
  const text = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read\n" +
    "0.0087,0.0047,0.0042,0.0001,0.0019,0.0001\n";
  const [r] = readHeyCsv(text);
  assert.ok(r);
  assert.equal(r.latencyMs, 8.7);
  assert.equal(r.status, 200);
});

Deno.test("readVegetaCsv() reads nanoseconds, quoted errors and status codes", () => {
  const records = readVegetaCsv(fixture("vegeta.csv"));
  assert.equal(records.length, 20);
  const first = records[0];
  assert.ok(first);
  // 1764150000000000923 ns, 5237172 ns
  assert.equal(first.startedMs, 1764150000000.000923);
  assert.equal(first.latencyMs, 5.237172);
  assert.equal(first.bytes, 15);
  assert.equal(first.id, 0);
  const refused = records.find((r) => r.id === 13);
  assert.equal(refused?.status, 0);
  assert.equal(refused?.error, "connect_refused");
  assert.equal(records.find((r) => r.id === 17)?.error, "http_5xx");
  assert.equal(records.filter((r) => r.error === "").length, 18);
});

Deno.test("readVegetaCsv() rejects rows that are too short", () => {
  assert.throws(() => readVegetaCsv("1764150000000000923,200,5\n"), SyntaxError);
});

Deno.test("readOhaCsv() reads seconds and the time to first byte", () => {
  const records = readOhaCsv(fixture("oha.csv"));
  assert.equal(records.length, 20);
  const first = records[0];
  assert.ok(first);
  // 0.000412000,0.000028674,0.000216180,0.003586367,0.003884571,15,200
  assert.ok(Math.abs(first.startedMs - 0.412) < 1e-9);
  assert.ok(Math.abs(first.latencyMs - 3.884571) < 1e-9);
  assert.ok(Math.abs((first.ttfbMs ?? 0) - 3.586367) < 1e-9);
  assert.equal(records.filter((r) => r.status === 503).length, 1);
});

Deno.test("readK6Csv() keeps only http_req_duration rows", () => {
  const records = readK6Csv(fixture("k6.csv"));
  assert.equal(records.length, 16);
  // http_req_duration,1764150000,6.579815,...
  assert.equal(records[0]?.latencyMs, 6.579815);
  assert.equal(records[0]?.startedMs, 1764150000000 - 6.579815);
  assert.equal(records[7]?.error, "http_5xx");
  assert.equal(records[11]?.error, "connect_refused");
  assert.equal(records[11]?.status, 0);
  assert.equal(records.filter((r) => r.error === "").length, 14);
});

Deno.test("readK6Csv() reads every k6 timeFormat", () => {
  const head = "metric_name,timestamp,metric_value,status,extra_tags,metadata\n";
  for (
    const ts of [
      "1562324644",
      "1562324644000",
      "1562324644000000",
      "1562324644000000000",
      "2019-07-05T11:04:04Z",
    ]
  ) {
    const [r] = readK6Csv(`${head}http_req_duration,${ts},4.000000,200,,\n`);
    assert.equal(r?.startedMs, 1562324644000 - 4, ts);
  }
});

Deno.test("readResults() reads tailgate's own CSV with warm-up and errors", () => {
  const r = readResults(fixture("tailgate.csv"));
  assert.equal(r.format, "tailgate");
  assert.deepEqual(r.notes, []);
  assert.equal(r.records.length, 20);
  assert.equal(r.records.filter((x) => x.warmup).length, 2);
  assert.equal(r.records.find((x) => x.id === 15)?.error, "timeout");
  const s = summarize(r.records);
  assert.equal(s.count, 18);
  assert.equal(s.errors, 1);
});

Deno.test("readResults() honours a given format and explains an unknown one", () => {
  const r = readResults(fixture("oha.csv"), "oha");
  assert.equal(r.detected, false);
  assert.equal(r.records.length, 20);
  assert.throws(() => readResults("x,y\n1,2\n"), {
    name: "SyntaxError",
    message: /Cannot detect the CSV format: expected a tailgate, hey, vegeta, oha or k6 CSV/,
  });
  assert.throws(() => readResults(fixture("oha.csv"), "hey"), SyntaxError);
});
