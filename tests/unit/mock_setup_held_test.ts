import assert from "node:assert/strict";
import { createMockApp } from "../../mock/app.ts";

const noSleep = () => Promise.resolve();

Deno.test("a connection whose setup was held at the handshake is charged once but not made to wait again", async () => {
  const mock = createMockApp({ sleep: noSleep, rttMs: 10, setupRtts: 3, setupAtHandshake: true });
  const held = { connection: {}, setupHeld: true };
  const plain = { connection: {} };
  const timing = async (env: object) => {
    const res = await mock.app.fetch(new Request("http://mock/api?id=1"), env);
    await res.body?.cancel();
    return res.headers.get("server-timing") ?? "";
  };
  assert.match(await timing(held), /^setup;dur=0(\.0+)?,/);
  assert.match(
    await timing(plain),
    /^setup;dur=30(\.0+)?,/,
    "without the hold: the first request waits",
  );
  const stats = mock.stats();
  assert.equal(stats.connections.opened, 2, "both connections are opened and charged");
  assert.equal(stats.setup_at, "handshake");
  assert.equal(createMockApp({ sleep: noSleep }).stats().setup_at, "first_request");
});
