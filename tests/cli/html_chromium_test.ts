/**
 * Renders the HTML report in real headless Chromium and checks that the
 * three charts were drawn: each canvas exists, has a non-zero size and has
 * inked pixels (the page's script records this in `data-rendered` on
 * <body>). Saves a screenshot in a temp directory (outside results/, which
 * holds only what tailgate writes) and prints its path.
 */
import assert from "node:assert/strict";
import { renderHtmlReport } from "../../lib/report/html.ts";
import { reportInput } from "../_report_fixture.ts";

const CHROMIUM = "/usr/bin/chromium";

function chromiumMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `${CHROMIUM} not found (install it with: apt-get install -y chromium)`;
  }
}

const missing = chromiumMissing();
if (missing) console.log(`Skipping the Chromium rendering test: ${missing}`);

async function chromium(args: string[], profile: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--window-size=1100,1900",
      "--virtual-time-budget=5000",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(
      `Chromium exited with ${code}: ${new TextDecoder().decode(stderr).slice(-2000)}`,
    );
  }
  return out;
}

function unescapeAttr(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(
    /&gt;/g,
    ">",
  )
    .replace(/&amp;/g, "&");
}

Deno.test({
  name: "renderHtmlReport() output draws its three charts in headless Chromium",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "tailgate_html_" });
    try {
      const page = `${dir}/report.html`;
      await Deno.writeTextFile(page, renderHtmlReport(reportInput()));
      const dom = await chromium(["--dump-dom", `file://${page}`], `${dir}/profile-dom`);
      const error = /data-render-error="([^"]*)"/.exec(dom)?.[1];
      assert.equal(error, undefined, `page script failed: ${unescapeAttr(error ?? "")}`);
      const rendered = /data-rendered="([^"]*)"/.exec(dom)?.[1];
      assert.ok(rendered, "the page script did not record its charts");
      const charts = JSON.parse(unescapeAttr(rendered)) as {
        id: string;
        width: number;
        height: number;
        inked: number;
      }[];
      assert.deepEqual(charts.map((c) => c.id), [
        "chart-percentiles",
        "chart-histogram",
        "chart-time",
      ]);
      for (const c of charts) {
        assert.ok(c.width >= 300 && c.height >= 200, `${c.id} is ${c.width}×${c.height}`);
        // Lines, axes and labels ink a few percent of the canvas at least.
        assert.ok(c.inked > 0.01 * c.width * c.height, `${c.id} inked only ${c.inked} pixels`);
      }
      // Kept after the test (the page's directory is not) so it can be looked at.
      const shotDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "tailgate_screenshot_" });
      const shot = `${shotDir}/report-screenshot.png`;
      await chromium([`--screenshot=${shot}`, `file://${page}`], `${dir}/profile-shot`);
      console.log(`screenshot: ${shot}`);
      const png = await Deno.readFile(shot);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      assert.ok(png.length > 50_000, `screenshot is only ${png.length} bytes`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
