/** Runs with no permissions at all, so every need below is missing. */
import assert from "node:assert/strict";
import { checkPermissions, netHost, permissionMessage } from "../../lib/cli/_permissions.ts";
import { UsageError } from "../../lib/cli/_usage_error.ts";
import { classifyError } from "../../lib/client/_classify_error.ts";

Deno.test("netHost() names host:port as Deno's net permission does", () => {
  assert.equal(netHost("http://127.0.0.2:8081/api"), "127.0.0.2:8081");
  assert.equal(netHost("https://api.example.com/v1/x"), "api.example.com:443");
  assert.equal(netHost("http://example.com/"), "example.com:80");
  assert.equal(netHost("http://[::1]:8080/"), "[::1]:8080");
});

Deno.test("checkPermissions() names the missing permission and the exact flag", async (t) => {
  const cases: [string, Parameters<typeof checkPermissions>[0], string][] = [
    [
      "network to the target",
      { net: ["http://127.0.0.2:8081/"] },
      "No network permission for 127.0.0.2:8081: add --allow-net=127.0.0.2:8081 (or run through deno task bench)",
    ],
    [
      "listening for the mock",
      { listen: ["127.0.0.1"] },
      "No network permission to serve on 127.0.0.1: add --allow-net=127.0.0.1 (or run through deno task bench)",
    ],
    [
      "reading an input",
      { read: ["runs/a.csv"] },
      "No read permission for runs/a.csv: add --allow-read=runs/a.csv (or run through deno task bench)",
    ],
    [
      "reading outside the project: no task covers it, so the message says what works",
      { read: [["/data/a.csv", "--body @"]] },
      "No read permission for --body @/data/a.csv: add --allow-read=/data/a.csv (with deno run; deno task bench reads only this directory: copy the file under it, or run the installed tailgate)",
    ],
    [
      "writing outside results/: what works, as the task cannot take --allow-write",
      { write: ["out/run.csv"] },
      "No write permission for out/run.csv: write under results/ (all deno task bench may write), run the installed tailgate, or use deno run with --allow-write=out",
    ],
    [
      "writing under results/: the task covers it",
      { write: [["results/x/run.csv", "--out"]] },
      "No write permission for --out results/x/run.csv: add --allow-write=results/x (or run through deno task bench)",
    ],
  ];
  for (const [name, needs, message] of cases) {
    await t.step(name, async () => {
      const err = await checkPermissions(needs, { task: "deno task bench" }).then(
        () => null,
        (e) => e,
      );
      assert.ok(err instanceof UsageError, String(err));
      assert.equal(err.message, message);
    });
  }
});

Deno.test("checkPermissions() passes when nothing is needed", async () => {
  await checkPermissions({});
});

Deno.test("permissionMessage() turns Deno's NotCapable text into the flag to add", () => {
  const err = new Deno.errors.NotCapable(
    'Requires read access to "/data/in.csv", run again with the --allow-read flag',
  );
  assert.equal(
    permissionMessage(err),
    "No read permission for /data/in.csv: add --allow-read=/data/in.csv",
  );
});

Deno.test("classifyError() never files a denied permission as a request error", () => {
  const denied = new Deno.errors.NotCapable(
    'Requires net access to "127.0.0.2:8081", run again with the --allow-net flag',
  );
  assert.throws(() => classifyError(denied), Deno.errors.NotCapable);
  assert.throws(
    () => classifyError(new Deno.errors.PermissionDenied("denied")),
    Deno.errors.PermissionDenied,
  );
});
