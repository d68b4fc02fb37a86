/**
 * The user docs stay short and connected: README.md is at most 200 lines, and
 * every relative link in README.md, CHANGELOG.md and docs/*.md points at a
 * file that exists and, when it names an anchor, at a heading in that file
 * (GitHub's slug rules). Repository paths written as code (`lib/stats/sla.ts`)
 * name files that exist, so the docs follow the layout.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

function docFiles(): string[] {
  const files = ["README.md", "CHANGELOG.md"];
  for (const entry of Deno.readDirSync(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, ROOT));
}

/** The text without fenced code blocks and HTML comments. */
function withoutFencesAndComments(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "")
    .replace(/<!--[\s\S]*?-->/g, "");
}

/** Text outside fenced code blocks, HTML comments and inline code spans. */
function prose(markdown: string): string {
  return withoutFencesAndComments(markdown).replace(/`[^`\n]*`/g, "code");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = withoutFencesAndComments(markdown);
  for (const m of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const base = slug(m[1] ?? "");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const m of prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1] ?? "";
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    links.push(target);
  }
  return links;
}

function isFile(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}

function isDirectory(url: URL): boolean {
  try {
    return Deno.statSync(url).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("slug() follows GitHub's heading anchors", () => {
  assert.equal(
    slug("`suite <url>`: the A/B against your own API"),
    "suite-url-the-ab-against-your-own-api",
  );
  assert.equal(slug("`report` on 1,000,000 rows"), "report-on-1000000-rows");
  assert.equal(slug("`tailgate --help`"), "tailgate---help");
});

Deno.test("README.md has at most 200 lines", () => {
  const lines = read("README.md").split("\n");
  if (lines.at(-1) === "") lines.pop();
  assert.ok(lines.length <= 200, `README.md has ${lines.length} lines; move detail to docs/`);
});

Deno.test("every relative link in README.md, CHANGELOG.md and docs/ resolves", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of docFiles()) {
    const base = new URL(file, ROOT);
    for (const link of relativeLinks(read(file))) {
      checked++;
      const [path = "", anchor] = link.split("#", 2);
      const target = path === "" ? base : new URL(path, base);
      if (path.endsWith("/") ? !isDirectory(target) : !isFile(target)) {
        broken.push(`${file}: ${link} (no such file)`);
        continue;
      }
      if (anchor === undefined || anchor === "") continue;
      if (!target.pathname.endsWith(".md")) continue;
      const headings = anchors(Deno.readTextFileSync(target));
      if (!headings.has(decodeURIComponent(anchor))) {
        broken.push(`${file}: ${link} (no heading with that anchor)`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} links found; the link pattern is broken`);
  assert.deepEqual(broken, []);
});

/** Paths of this repository written as inline code in prose, e.g. `lib/stats/sla.ts`. */
function repoPaths(markdown: string): string[] {
  const text = withoutFencesAndComments(markdown);
  const paths: string[] = [];
  const ours = /^(?:lib|tests|mock|bench|deploy|docs|\.ci)\/[\w./-]*$/;
  // Only this project's kinds of file: other tools' sources (`lib/results.go`) are cited too.
  const kinds = /(?:\/|\.(?:ts|md|json|ya?ml|pem|sh|conf|lua|csv)|\/[\w-]+)$/;
  for (const m of text.matchAll(/`([^`\s]+)`/g)) {
    const path = m[1] ?? "";
    if (ours.test(path) && kinds.test(path)) paths.push(path);
  }
  return paths;
}

Deno.test("repoPaths() picks this repository's paths and skips other projects' sources", () => {
  assert.deepEqual(
    repoPaths(
      "`lib/stats/sla.ts`, `tests/unit/`, tsenart/vegeta `lib/results.go`, `results/x.csv`",
    ),
    ["lib/stats/sla.ts", "tests/unit/"],
  );
});

Deno.test("every repository path named in README.md, CHANGELOG.md and docs/ exists", () => {
  const missing: string[] = [];
  let checked = 0;
  for (const file of docFiles()) {
    for (const path of repoPaths(read(file))) {
      checked++;
      let found = true;
      try {
        Deno.statSync(new URL(path, ROOT));
      } catch {
        found = false;
      }
      if (!found) missing.push(`${file}: ${path}`);
    }
  }
  assert.ok(checked > 30, `only ${checked} paths found; the path pattern is broken`);
  assert.deepEqual(missing, []);
});
