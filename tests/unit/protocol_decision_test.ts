import assert from "node:assert/strict";
import { decideProtocol } from "../../lib/cli/_protocol.ts";
import type { ProbeResult } from "../../lib/client/probe.ts";

const H1: ProbeResult = {
  protocol: "http/1.1",
  via: "prior-knowledge",
  http1: true,
  unreachable: null,
  reason: "the server does not speak HTTP/2 with prior knowledge (it replied in HTTP/1.x)",
};
const H2C: ProbeResult = {
  protocol: "h2",
  via: "prior-knowledge",
  http1: true,
  unreachable: null,
  reason: "the server answered the HTTP/2 prior-knowledge preface with SETTINGS (h2c)",
};
const H2C_ONLY: ProbeResult = {
  ...H2C,
  http1: false,
  reason: `${H2C.reason}; it does not answer HTTP/1.1`,
};
const ALPN_H2: ProbeResult = {
  ...H2C,
  via: "alpn",
  reason: "offered h2 and http/1.1 by ALPN; the server chose h2",
};

Deno.test("decideProtocol() makes optimized speak what the server offers, and says so", async (t) => {
  await t.step("HTTP/1.1-only server over http: keep-alive pool sized to -c", () => {
    const d = decideProtocol("optimized", false, "http:", H1, 10);
    assert.equal(d.protocol, "http/1.1");
    assert.equal(
      d.line,
      "protocol: HTTP/1.1 keep-alive, up to 10 connections (optimized chose it: the server does not speak HTTP/2 with prior knowledge (it replied in HTTP/1.x))",
    );
    assert.equal(d.warning, null);
  });
  await t.step("h2c server over http", () => {
    const d = decideProtocol("optimized", true, "http:", H2C, 10);
    assert.equal(d.protocol, "h2");
    assert.match(d.line, /^protocol: HTTP\/2 with prior knowledge \(h2c\) \(optimized chose it: /);
  });
  await t.step("ALPN h2 over https", () => {
    const d = decideProtocol("optimized", true, "https:", ALPN_H2, 10);
    assert.match(d.line, /^protocol: HTTP\/2 by ALPN \(optimized chose it: offered h2/);
  });
});

Deno.test("decideProtocol() keeps the default fast on HTTP/1.1 servers and gives way on HTTP/2-only ones", () => {
  const d1 = decideProtocol("fast", false, "http:", H2C, 5);
  assert.equal(d1.client, "fast");
  assert.equal(d1.protocol, "http/1.1");
  const d2 = decideProtocol("fast", false, "http:", H2C_ONLY, 5);
  assert.equal(d2.client, "optimized");
  assert.equal(d2.protocol, "h2");
  assert.match(d2.line, /default client fast speaks HTTP\/1\.1 only.*optimized is used instead/);
  const d3 = decideProtocol("fast", true, "http:", H2C_ONLY, 5);
  assert.equal(d3.client, "fast", "an explicit --client is never overridden");
  assert.match(
    d3.warning ?? "",
    /fast speaks HTTP\/1\.1 only, and .*does not answer HTTP\/1\.1: expect protocol errors, or use --client optimized/,
  );
});

Deno.test("decideProtocol() records baseline as fetch does: ALPN on https, HTTP/1.1 on http", () => {
  assert.equal(decideProtocol("baseline", true, "https:", ALPN_H2, 5).protocol, "h2");
  assert.equal(decideProtocol("baseline", true, "http:", H2C, 5).protocol, "http/1.1");
});
