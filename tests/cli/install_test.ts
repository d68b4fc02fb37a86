/**
 * `deno task install` puts a `tailgate` command in $DENO_INSTALL_ROOT/bin
 * (as `deno install -g` does), offline from the cached npm packages, with
 * scoped permissions (no --allow-run, --allow-ffi, --allow-sys, and env only
 * for NO_COLOR).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("deno task install leaves <DENO_INSTALL_ROOT>/bin/tailgate that answers --help", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_install_" });
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: ["task", "install"],
      cwd: ROOT,
      env: { DENO_INSTALL_ROOT: dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(install.stderr);
    assert.equal(install.code, 0, log);
    assert.doesNotMatch(log, /Download(ing|ed) [1-9]/, "nothing downloaded");
    const bin = `${dir}/bin/tailgate`;
    assert.ok((await Deno.stat(bin)).isFile, `${bin} exists`);
    const shim = await Deno.readTextFile(bin);
    assert.match(shim, /--allow-net/);
    assert.doesNotMatch(shim, /--allow-all|-A |--allow-run|--allow-ffi|--allow-sys/);
    const help = await new Deno.Command(bin, {
      args: ["--help"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(help.stdout);
    assert.equal(help.code, 0, new TextDecoder().decode(help.stderr));
    assert.match(out, /^tailgate: /);
    assert.match(out, /Usage: tailgate <command>/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
