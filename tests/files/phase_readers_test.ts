/**
 * The phases other tools' files carry, read into tailgate's columns
 * (docs/phases.md): hey's and oha's `DNS+dialup`, oha's `Response-delay`,
 * k6's `http_req_connecting`, `http_req_tls_handshaking`, `http_req_sending`
 * and `http_req_waiting` (CSV and JSON output). Fixtures: tests/fixtures/.
 */
import assert from "node:assert/strict";
import { readHeyCsv } from "../../lib/records/formats/hey.ts";
import { readK6Csv } from "../../lib/records/formats/k6.ts";
import { readK6Json } from "../../lib/records/formats/k6_json.ts";
import { detectFormat } from "../../lib/records/formats/detect_format.ts";
import { readOhaCsv } from "../../lib/records/formats/oha.ts";
import { openResults } from "../../lib/records/open_results.ts";
import type { RequestRecord } from "../../lib/record.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const fixturePath = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) < 1e-9;

Deno.test("readHeyCsv() gives connect_ms to exactly the rows whose DNS+dialup is not 0", () => {
  const rows = fixture("hey.csv").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const records = readHeyCsv(fixture("hey.csv"));
  const dialups = rows.map((r) => r[1]!).filter((v) => v > 0).sort();
  const connects = records.map((r) => r.connectMs).filter((v) => v !== null).sort();
  assert.equal(dialups.length, 2);
  assert.deepEqual(
    connects.map((v) => Math.round(v! * 10)),
    dialups.map((v) => Math.round(v * 1e4)),
  );
  for (const r of records) {
    assert.equal(r.tlsMs, null, "hey's dial-up includes TLS: no separate handshake");
    assert.equal(r.firstBodyMs, null, "hey does not time the first body byte");
    assert.ok(r.ttfbMs !== null && r.ttfbMs >= (r.connectMs ?? 0));
  }
});

Deno.test("readOhaCsv() reads DNS+dialup as connect_ms and Response-delay as first_body_ms; 0 is no data", () => {
  const records = readOhaCsv(fixture("oha.csv"));
  const withConnect = records.filter((r) => r.connectMs !== null);
  assert.equal(withConnect.length, 2);
  assert.ok(close(withConnect[0]!.connectMs, 0.216180));
  assert.ok(close(records[0]!.firstBodyMs, 3.586367));
  assert.equal(records[0]!.ttfbMs, records[0]!.firstBodyMs);
  const empty = readOhaCsv(
    "request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status\n" +
      "0.001,0,0,0,0.002,0,204\n",
  )[0]!;
  assert.equal(empty.firstBodyMs, null);
  assert.equal(empty.ttfbMs, null);
  assert.equal(empty.connectMs, null);
});

const K6_HEAD = "metric_name,timestamp,metric_value,status,url,metadata\n";
function k6Request(t: number, vu: number, phases: Record<string, number>): string {
  const row = (name: string, v: number) =>
    `${name},${t},${v},200,http://127.0.0.1/,vu=${vu}&iter=0\n`;
  return row("http_reqs", 1) + row("http_req_duration", phases.duration ?? 10) +
    ["blocked", "connecting", "tls_handshaking", "sending", "waiting", "receiving"]
      .map((p) => row(`http_req_${p}`, phases[p] ?? 0)).join("") +
    row("http_req_failed", 0);
}

Deno.test("readK6Csv() reads connecting, TLS handshaking and sending + waiting into each request", () => {
  const records = readK6Csv(fixture("k6.csv"));
  assert.equal(records.length, 16);
  assert.equal(records.filter((r) => r.connectMs !== null).length, 2);
  // The first request of the fixture: connecting 0.2, sending 0.131596, waiting 6.119228.
  assert.ok(close(records[0]!.connectMs, 0.2));
  assert.ok(close(records[0]!.ttfbMs, 0.131596 + 6.119228));
  const tls = readK6Csv(
    K6_HEAD + k6Request(1700000000, 1, { connecting: 0.3, tls_handshaking: 2.5, waiting: 4 }) +
      k6Request(1700000000, 2, { sending: 0.1, waiting: 3 }),
  );
  assert.equal(tls.length, 2);
  assert.deepEqual(
    tls.map((r) => [r.connectMs, r.tlsMs, r.ttfbMs]),
    [[0.3, 2.5, 4], [null, null, 3.1]],
  );
});

Deno.test("readK6Csv() attaches phase rows only to the request with the same time and tags", () => {
  // Duration rows only (a filtered file): read, without phases.
  const bare = readK6Csv(
    K6_HEAD + "http_req_duration,1700000000,12.5,200,u,vu=1\n" +
      "http_req_duration,1700000001,7,200,u,vu=1\n",
  );
  assert.deepEqual(bare.map((r) => [r.latencyMs, r.ttfbMs, r.connectMs]), [
    [12.5, null, null],
    [7, null, null],
  ]);
  // A phase row of another VU does not land on the held request.
  const other = readK6Csv(
    K6_HEAD + "http_req_duration,1700000000,12.5,200,u,vu=1\n" +
      "http_req_connecting,1700000000,9,200,u,vu=2\n" +
      "http_req_waiting,1700000000,11,200,u,vu=1\n",
  );
  assert.equal(other.length, 1);
  assert.equal(other[0]!.connectMs, null);
  assert.equal(other[0]!.ttfbMs, 11);
});

Deno.test("the streaming reader (openResults) gives the k6 phases as readK6Csv() does, the last request included", async () => {
  const run = await openResults(fixturePath("k6.csv"));
  const streamed: RequestRecord[] = [];
  for await (const batch of run.batches) streamed.push(...batch);
  assert.deepEqual(streamed, readK6Csv(fixture("k6.csv")));
});

Deno.test("a malformed or negative phase value in another tool's file is a SyntaxError naming the line", () => {
  assert.throws(
    () =>
      readK6Csv(
        K6_HEAD + "http_req_duration,1700000000,12.5,200,u,vu=1\n" +
          "http_req_connecting,1700000000,abc,200,u,vu=1\n",
      ),
    (e: unknown) =>
      e instanceof SyntaxError && /line 3.*metric_value is not a number/.test(e.message),
  );
  assert.throws(
    () =>
      readHeyCsv(
        "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n" +
          "0.0050,-0.0003,0.0000,0.0000,0.0045,0.0001,200,0.0001\n",
      ),
    (e: unknown) => e instanceof SyntaxError && /line 2.*connect time/.test(e.message),
  );
});

Deno.test("readK6Json() reads k6's --out json into the same requests and phases as its CSV", async () => {
  const json = readK6Json(fixture("k6.ndjson"));
  const csv = readK6Csv(fixture("k6.csv"));
  const shape = (
    r: RequestRecord,
  ) => [r.latencyMs, r.ttfbMs, r.connectMs, r.tlsMs, r.status, r.error];
  assert.equal(json.length, 16);
  assert.deepEqual(json.map(shape), csv.map(shape));
  // JSON times have sub-second precision: each start is within the CSV's one second.
  for (let i = 0; i < json.length; i++) {
    assert.ok(Math.abs(json[i]!.startedMs - csv[i]!.startedMs) < 1000);
  }
  assert.equal(detectFormat(fixture("k6.ndjson")), "k6-json");
  const run = await openResults(fixturePath("k6.ndjson"));
  assert.equal(run.format, "k6-json");
  const streamed: RequestRecord[] = [];
  for await (const batch of run.batches) streamed.push(...batch);
  assert.deepEqual(streamed, json);
});

Deno.test("readK6Json() rejects a line that is not JSON, or a point with no number, naming the line", () => {
  const point = (metric: string, value: unknown) =>
    JSON.stringify({
      type: "Point",
      data: { time: "2026-01-01T00:00:00.5Z", value, tags: { status: "200" } },
      metric,
    }) + "\n";
  assert.throws(
    () =>
      readK6Json(
        point("http_req_duration", 3) + '{"type":"Point","metric":"http_req_waiting", oops\n',
      ),
    (e: unknown) => e instanceof SyntaxError && /k6 JSON line 2: not a JSON object/.test(e.message),
  );
  assert.throws(
    () => readK6Json(point("http_req_duration", 3) + point("http_req_connecting", "x")),
    (e: unknown) =>
      e instanceof SyntaxError &&
      /k6 JSON line 2: the value of http_req_connecting/.test(e.message),
  );
  assert.throws(
    () => readK6Json(point("http_req_duration", 3) + point("http_req_connecting", -2)),
    (e: unknown) => e instanceof SyntaxError && /k6 JSON line .*connect time -2 ms/.test(e.message),
  );
});
