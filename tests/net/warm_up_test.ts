import assert from "node:assert/strict";
import { warmUpFast } from "../../lib/load/warm_up.ts";

Deno.test("warmUpFast() sends its requests to a private listener and leaves nothing open", async () => {
  const t = performance.now();
  await warmUpFast(200, 4);
  // The test sanitizers fail this test if a listener, connection or timer is left behind.
  assert.ok(performance.now() - t < 10_000, "it ends");
});

Deno.test("warmUpFast() with zero requests returns at once", async () => {
  await warmUpFast(0, 1);
});
