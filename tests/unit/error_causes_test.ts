import assert from "node:assert/strict";
import { CAUSES_PER_KIND, ErrorCauses } from "../../lib/stats/error_causes.ts";
import { adviceFor, causeAdvice, fdWarning, formatCauses } from "../../lib/report/causes.ts";
import { summarize } from "../../lib/stats/summary.ts";
import { okRecord } from "../_record.ts";

Deno.test("ErrorCauses keeps the first 3 distinct messages of each kind, in report order", () => {
  const causes = new ErrorCauses();
  for (let i = 0; i < 10; i++) causes.add("reset", `reset ${i % 5}`, 0);
  causes.add("reset", "reset 0", 0);
  causes.add("tls", "invalid peer certificate: UnknownIssuer", 0);
  causes.add("", "ignored", 200);
  assert.equal(CAUSES_PER_KIND, 3);
  assert.deepEqual(causes.list(), {
    reset: ["reset 0", "reset 1", "reset 2"],
    tls: ["invalid peer certificate: UnknownIssuer"],
  });
  assert.deepEqual(Object.keys(causes.list()), ["reset", "tls"]);
});

Deno.test("ErrorCauses stands in a status or the kind's meaning for a missing message", () => {
  const causes = new ErrorCauses();
  causes.add("http_5xx", undefined, 503);
  causes.add("protocol", undefined, 101);
  causes.add("protocol", undefined, 999);
  causes.add("timeout", undefined, 0);
  causes.add("dropped", undefined, 0);
  const list = causes.list();
  assert.deepEqual(list.http_5xx, ["status 503"]);
  assert.match(list.protocol![0]!, /^status 101: an interim \(1xx\) status/);
  assert.match(list.protocol![1]!, /^status 999: not an HTTP status/);
  assert.match(list.timeout![0]!, /--timeout/);
  assert.match(list.dropped![0]!, /--drop-after/);
});

Deno.test("ErrorCauses makes a message one line without control bytes, at most 300 characters", () => {
  const causes = new ErrorCauses();
  causes.add("protocol", `bad\r\n\x1b[31mline\x9b  ${"x".repeat(1000)}`, 0);
  const m = causes.list().protocol![0]!;
  assert.equal(m.length, 300);
  assert.ok(m.startsWith("bad [31mline x"), m.slice(0, 20));
  assert.ok(m.endsWith("…"));
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(m, /[\x00-\x1f\x7f-\x9f]/);
});

Deno.test("ErrorCauses counts the failures that name the file-descriptor limit", () => {
  const causes = new ErrorCauses();
  causes.add("other", "Too many open files (os error 24)", 0);
  causes.add(
    "other",
    "fetch failed: client error (Connect): tcp open error: Too many open files (os error 24)",
    0,
  );
  causes.add("reset", "connection reset", 0);
  assert.equal(causes.fdLimit, 2);
  assert.match(fdWarning(2), /^WARNING: 2 requests failed .*file descriptors.*ulimit -n/);
  assert.match(fdWarning(1), /^WARNING: 1 request failed/);
});

Deno.test("causeAdvice() names the fix for each known TLS cause, in rustls' words", () => {
  const cases: [string, RegExp][] = [
    ["invalid peer certificate: UnknownIssuer", /--ca-cert/],
    [
      "invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
      /CA-signed server certificate and pass the CA with --ca-cert/,
    ],
    [
      "invalid peer certificate: certificate expired: verification time 1796654886 (UNIX), but certificate is not valid after 1577923200 (218731686 seconds ago)",
      /validity dates/,
    ],
    [
      'invalid peer certificate: certificate not valid for name "127.0.0.2"; certificate is only valid for DnsName("example.com")',
      /subjectAltName \(SAN\)/,
    ],
    ["received corrupt message of type InvalidContentType", /plain HTTP; use http:\/\//],
  ];
  for (const [message, advice] of cases) {
    assert.match(causeAdvice("tls", message) ?? "", advice, message);
  }
  assert.equal(causeAdvice("tls", "handshake failure"), null);
  // fast-h2 (and fetch forced to HTTP/2) against an HTTP/1.1-only server.
  for (
    const m of [
      'HTTP/2 FRAME_SIZE_ERROR: the server replied in HTTP/1.x ("HTTP/1.1 400 Bad Request"), not HTTP/2: it does not speak HTTP/2 with prior knowledge (h2c)',
      "fetch failed: connection error detected: frame with invalid size",
    ]
  ) assert.match(causeAdvice("protocol", m) ?? "", /use --client fast, or optimized/, m);
  for (
    const m of [
      "received fatal alert: NoApplicationProtocol",
      "fetch failed: client error (Connect): received fatal alert: NoApplicationProtocol",
    ]
  ) assert.match(causeAdvice("protocol", m) ?? "", /HTTP\/2 only\): use --client optimized/, m);
  assert.match(
    causeAdvice("reset", "the server sent GOAWAY before processing the request") ?? "",
    /GOAWAY.*keepalive_requests.*never re-sends them/,
  );
  assert.equal(causeAdvice("reset", "invalid peer certificate: UnknownIssuer"), null);
});

Deno.test("formatCauses() lists causes under one heading, then one advice line per known cause", () => {
  const causes = {
    tls: [
      "invalid peer certificate: UnknownIssuer",
      "fetch failed: invalid peer certificate: UnknownIssuer",
    ],
    http_5xx: ["status 503"],
  };
  assert.deepEqual(formatCauses(causes), [
    "causes        tls: invalid peer certificate: UnknownIssuer",
    "              tls: fetch failed: invalid peer certificate: UnknownIssuer",
    "              http_5xx: status 503",
    `advice        ${adviceFor(causes)[0]}`,
  ]);
  assert.equal(adviceFor(causes).length, 1);
  assert.deepEqual(formatCauses({ reset: ["x"] }, "h1 ", false), ["causes        h1 reset: x"]);
  assert.deepEqual(formatCauses({}), []);
});

Deno.test("summarize() counts a failed row with no kind by its status: 101 and 600 are protocol", () => {
  // A row of that status without an error kind (the record of an older CSV).
  const row = (status: number) => okRecord(0, 0, 1, { ttfbMs: 1, status });
  assert.deepEqual(summarize([row(101), row(600), row(0)]).error_kinds, { protocol: 2, other: 1 });
});
