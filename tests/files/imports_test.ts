/**
 * The layout's rules (docs/architecture.md), checked on the source: the
 * import graph of lib/ has no cycle, pure folders do no I/O, a command
 * imports no other command, a leading underscore is private to its folder,
 * and lib/ reaches mock/ only through the one seam.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const SEAM = "lib/cli/_mock_flags.ts";

/** Every .ts file below `dir` (relative to the repo root), tests excluded. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await tsFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Source without comments (so an `@example` import or a `Deno.` in prose does not count). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Relative specifiers of static imports and re-exports, resolved to repo paths. */
function importsOf(path: string, text: string): { to: string; typeOnly: boolean }[] {
  const out: { to: string; typeOnly: boolean }[] = [];
  const re =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[\s\S]*?\sfrom\s+)?["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of code(text).matchAll(re)) {
    const url = new URL(m[3]!, new URL(path, ROOT));
    out.push({ to: url.href.slice(ROOT.href.length), typeOnly: m[2] !== undefined });
  }
  return out;
}

const files = [...await tsFiles("lib"), ...await tsFiles("mock")];
const sources = new Map<string, string>();
for (const f of files) sources.set(f, await Deno.readTextFile(new URL(f, ROOT)));
const graph = new Map(files.map((f) => [f, importsOf(f, sources.get(f)!)]));
const lib = files.filter((f) => f.startsWith("lib/"));

Deno.test("the import graph of lib/ and mock/ has no cycle", () => {
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, stack: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      cycles.push([...stack.slice(stack.indexOf(f)), f].join(" -> "));
      return;
    }
    state.set(f, "open");
    for (const { to } of graph.get(f) ?? []) if (graph.has(to)) visit(to, [...stack, f]);
    state.set(f, "done");
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
  assert.ok(graph.get("lib/cli/bench.ts")!.length > 5, "the parser finds imports");
});

Deno.test("lib/stats, lib/report, lib/load/pacer.ts, arrivals.ts and targets.ts do no I/O (no Deno.* but types)", () => {
  const pure = lib.filter((f) =>
    f.startsWith("lib/stats/") || f.startsWith("lib/report/") || f === "lib/load/pacer.ts" ||
    f === "lib/load/arrivals.ts" || f === "lib/load/targets.ts"
  );
  assert.ok(pure.length > 10);
  const found: string[] = [];
  for (const f of pure) {
    // Types (Deno.Signal, Deno.errors in a type position) start with a capital letter.
    for (const m of code(sources.get(f)!).matchAll(/\bDeno\.([a-z]\w*)/g)) {
      found.push(`${f}: Deno.${m[1]}`);
    }
  }
  assert.deepEqual(found, []);
});

Deno.test("a command imports no other command, only its folder's _private helpers", () => {
  const bad: string[] = [];
  for (const f of lib.filter((f) => f.startsWith("lib/cli/"))) {
    for (const { to } of graph.get(f)!) {
      if (to.startsWith("lib/cli/") && !to.slice("lib/cli/".length).startsWith("_")) {
        bad.push(`${f} -> ${to}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("a leading underscore is private to its folder", () => {
  const bad: string[] = [];
  for (const f of files) {
    const dir = f.slice(0, f.lastIndexOf("/") + 1);
    for (const { to } of graph.get(f)!) {
      const name = to.slice(to.lastIndexOf("/") + 1);
      // A folder's private files may be shared with its subfolders (records/formats/).
      if (name.startsWith("_") && !dir.startsWith(to.slice(0, to.lastIndexOf("/") + 1))) {
        bad.push(`${f} -> ${to}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

/** Which folder may import which (docs/architecture.md); `type:` entries for type-only imports. */
const MAY_IMPORT: Record<string, string[]> = {
  "lib": [],
  "lib/client": ["lib"],
  "lib/stats": ["lib"],
  "lib/records": ["lib", "lib/stats", "type:lib/load"],
  "lib/report": ["lib", "lib/stats", "type:lib/load", "type:lib/records"],
  "lib/load": ["lib", "lib/client", "lib/records", "lib/stats"],
  "lib/cli": ["lib", "lib/client", "lib/load", "lib/records", "lib/stats", "lib/report", "mock"],
  "mock": ["lib"],
};

/** `lib/stats/x.ts` → `lib/stats`; `lib/x.ts` → `lib`; `mock/x.ts` → `mock`. */
const folderOf = (f: string) =>
  f.split("/").slice(0, f.startsWith("lib/") ? 2 : 1).join("/")
    .replace(/^lib\/[^/]*\.ts$/, "lib").replace(/^mock\/.*$/, "mock");

Deno.test("each folder imports only the stages it may (docs/architecture.md)", () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = folderOf(f);
    const allowed = MAY_IMPORT[from];
    assert.ok(allowed, `${f}: no rule for folder ${from}`);
    for (const { to, typeOnly } of graph.get(f)!) {
      if (!graph.has(to)) continue; // deno.json and the like
      const dest = folderOf(to);
      if (dest === from || allowed.includes(dest)) continue;
      if (typeOnly && allowed.includes(`type:${dest}`)) continue;
      bad.push(`${f} -> ${to}${typeOnly ? " (type)" : ""}`);
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test(`lib/ imports mock/ only through ${SEAM}`, () => {
  const crossings: string[] = [];
  for (const f of lib) {
    for (const { to } of graph.get(f)!) if (to.startsWith("mock/")) crossings.push(f);
  }
  assert.ok(crossings.length > 0, "the seam exists");
  assert.deepEqual([...new Set(crossings)], [SEAM]);
});

Deno.test("no file in lib/cli/ is over 350 lines (a command is flags plus one call)", () => {
  const long = lib.filter((f) => f.startsWith("lib/cli/"))
    .map((f) => [f, sources.get(f)!.split("\n").length - 1] as const)
    .filter(([, n]) => n > 350)
    .map(([f, n]) => `${f}: ${n} lines`);
  assert.deepEqual(long, []);
});
