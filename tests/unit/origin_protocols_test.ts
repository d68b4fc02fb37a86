import assert from "node:assert/strict";
import {
  MAX_PROBED_ORIGINS,
  originProtocols,
  urlPerOrigin,
} from "../../lib/cli/_origin_protocols.ts";
import { decideProtocol } from "../../lib/cli/_protocol.ts";
import type { ProbeResult } from "../../lib/client/probe.ts";

const H2C: ProbeResult = {
  protocol: "h2",
  via: "prior-knowledge",
  http1: true,
  unreachable: null,
  reason: "the server answered the HTTP/2 preface with SETTINGS",
};
const H1: ProbeResult = {
  protocol: "http/1.1",
  via: "prior-knowledge",
  http1: true,
  unreachable: null,
  reason: "the server does not speak HTTP/2 with prior knowledge (it replied in HTTP/1.x)",
};
const urls = ["http://a.test:1/x", "http://b.test:2/y", "http://a.test:1/z", "http://c.test:3/"];
const probeBy = (m: Record<string, ProbeResult>) => (u: string) =>
  Promise.resolve(m[new URL(u).origin]!);

Deno.test("originProtocols() gives optimized each origin's protocol and a line for the odd one", async () => {
  const first = decideProtocol("optimized", true, "http:", H2C, 4);
  const seen: string[] = [];
  const probe = (u: string) => {
    seen.push(u);
    return probeBy({ "http://b.test:2": H1, "http://c.test:3": H2C })(u);
  };
  const o = await originProtocols(urls, first, { timeoutMs: 10 }, 4, probe);
  assert.deepEqual(seen, ["http://b.test:2/y", "http://c.test:3/"], "each other origin once");
  assert.deepEqual(o.origins, {
    "http://a.test:1": "h2",
    "http://b.test:2": "http/1.1",
    "http://c.test:3": "h2",
  });
  assert.equal(o.lines.length, 1);
  assert.match(o.lines[0]!, /^protocol for http:\/\/b\.test:2: HTTP\/1\.1 keep-alive/);
  assert.deepEqual(o.warnings, []);
});

Deno.test("originProtocols() warns fast-h2 about an HTTP/1.1-only origin, naming it", async () => {
  const first = decideProtocol("fast-h2", true, "http:", H2C, 4);
  const o = await originProtocols(
    urls,
    first,
    { timeoutMs: 10 },
    4,
    probeBy({ "http://b.test:2": H1, "http://c.test:3": H2C }),
  );
  assert.equal(o.origins, null, "only optimized routes by origin");
  assert.equal(o.warnings.length, 1);
  assert.match(o.warnings[0]!, /^http:\/\/b\.test:2: warning: fast-h2 speaks HTTP\/2 only/);
});

Deno.test("originProtocols() probes nothing for one origin", async () => {
  const first = decideProtocol("optimized", true, "http:", H2C, 4);
  const o = await originProtocols(
    ["http://a.test:1/x", "http://a.test:1/y"],
    first,
    {
      timeoutMs: 10,
    },
    4,
    () => Promise.reject(new Error("must not probe")),
  );
  assert.deepEqual(o, { origins: null, lines: [], warnings: [] });
});

Deno.test("originProtocols() probes at most MAX_PROBED_ORIGINS origins besides the first", async () => {
  const many = Array.from({ length: 40 }, (_, i) => `http://o${i}.test:1/`);
  const probed: string[] = [];
  const first = decideProtocol("optimized", true, "http:", H2C, 4);
  const o = await originProtocols(many, first, { timeoutMs: 10 }, 4, (u) => {
    probed.push(u);
    return Promise.resolve(H2C);
  });
  assert.equal(probed.length, MAX_PROBED_ORIGINS);
  assert.deepEqual(
    probed,
    many.slice(1, 1 + MAX_PROBED_ORIGINS),
    "the first URL of each, in order",
  );
  assert.equal(Object.keys(o.origins!).length, MAX_PROBED_ORIGINS + 1);
});

Deno.test("urlPerOrigin() keeps each origin's first URL, for at most max origins", () => {
  assert.deepEqual(
    [...urlPerOrigin(urls, 2)],
    [["http://a.test:1", "http://a.test:1/x"], ["http://b.test:2", "http://b.test:2/y"]],
  );
  assert.equal(urlPerOrigin(urls, 32).size, 3);
});
