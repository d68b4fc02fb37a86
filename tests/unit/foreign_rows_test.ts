import assert from "node:assert/strict";
import { readHeyCsv } from "../../lib/records/formats/hey.ts";
import { readK6Csv } from "../../lib/records/formats/k6.ts";
import { readOhaCsv } from "../../lib/records/formats/oha.ts";
import { readTailgateCsv } from "../../lib/records/formats/tailgate.ts";
import { readVegetaCsv } from "../../lib/records/formats/vegeta.ts";
import { splitFields } from "../../lib/records/formats/rows.ts";

const HEY =
  "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n";
const K6 = "metric_name,timestamp,metric_value,status,extra_tags,metadata\n";
const TG = "request_id,timestamp_ms,latency_ms,status_code\n";

Deno.test("splitFields() honours quotes and reports an open one", () => {
  assert.deepEqual(splitFields('1,"a,b",c'), ["1", "a,b", "c"]);
  assert.deepEqual(splitFields('"say ""hi""",'), ['say "hi"', ""]);
  assert.equal(splitFields('1,"open'), null);
});

Deno.test("readHeyCsv() rejects an unclosed quote as a SyntaxError naming its line", () => {
  assert.throws(() => readHeyCsv(HEY + '0.1,0,0,0,0.1,0,200,0\n"0.2,0,0,0,0.1,0,200,0.1\n'), {
    name: "SyntaxError",
    message: /hey CSV line 3: a quoted field is not closed/,
  });
});

Deno.test("a quoted vegeta error may span lines", () => {
  const rows = readVegetaCsv(
    '1764150000000000000,0,5000000,0,0,"dial tcp: \nconnection refused",,,0\n',
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.error, "connect_refused");
});

Deno.test("readK6Csv() refuses a file without the status column", () => {
  const text = "metric_name,timestamp,metric_value,extra_tags,metadata\n" +
    "http_req_duration,1700000000,12.5,,\n";
  assert.throws(() => readK6Csv(text), {
    name: "SyntaxError",
    message: /the header has no "status" column/,
  });
});

Deno.test("negative and absurd latencies are rejected in every format", () => {
  const cases: [string, () => unknown][] = [
    ["hey", () => readHeyCsv(HEY + "-0.5,0,0,0,0.1,0,200,0\n")],
    ["vegeta", () => readVegetaCsv("1764150000000000000,200,-5000000,0,15,,,,0\n")],
    ["k6", () => readK6Csv(K6 + "http_req_duration,1700000000,-12.5,200,,\n")],
    ["oha", () =>
      readOhaCsv(
        "request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status\n" +
          "0.1,0,0,0.1,-0.2,11,200\n",
      )],
    ["tailgate 1e308", () => readTailgateCsv(TG + "1,1000,1e308,200\n")],
  ];
  for (const [name, read] of cases) {
    assert.throws(read, { name: "SyntaxError", message: /line [12]: the latency/ }, name);
  }
});

Deno.test("a tailgate run with a request id twice is refused", () => {
  assert.throws(() => readTailgateCsv(TG + "1,1000,5,200\n2,1001,5,200\n1,1000,5,200\n"), (err) => {
    assert.ok(err instanceof SyntaxError);
    assert.match(err.message, /request_id 1 appears more than once/);
    return true;
  });
});

Deno.test("a row whose start time is far outside the run is refused", () => {
  const t = 1764150000000;
  const text = TG + `1,${t},5,200\n2,${t + 10},5,200\n3,0,5,200\n`;
  assert.throws(() => readTailgateCsv(text), {
    name: "SyntaxError",
    message: /start times span more than 7 days \(line 4 has 0/,
  });
});

Deno.test("messages escape ESC and NUL bytes echoed from the input", () => {
  try {
    readTailgateCsv(TG + "1,1000,\x1b[31mx\x00,200\n");
    assert.fail("no error");
  } catch (err) {
    const msg = (err as Error).message;
    assert.ok(!msg.includes("\x00") && !msg.includes("\x1b"), msg);
    assert.match(msg, /\\x1b\[31mx\\x00/);
  }
});
