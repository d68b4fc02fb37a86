/**
 * The HTML report: one self-contained file that opens offline, with a
 * percentile curve (log-scale tail, HdrHistogram style) of all runs and the
 * SLA limits, a latency histogram, latency over time, and the verdict
 * tables. Charts are drawn by uPlot 1.6.32 (MIT, © Leon Sorokin), whose
 * minified JS and CSS are inlined through Deno text imports (stable in
 * Deno 2.9, no flag; `deno compile` embeds them too).
 *
 * Format only: every number arrives computed (see `report_series.ts`,
 * `confidence.ts`, `bootstrap.ts`); this module escapes and lays it out.
 *
 * @module
 */
import { fmtLevel } from "./_format.ts";
import UPLOT_CSS from "uplot/dist/uPlot.min.css" with { type: "text" };
import UPLOT_JS from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import type { TargetDelta } from "../stats/target_compare.ts";
import type { BootstrapComparison } from "../stats/bootstrap.ts";
import type { SlaVerdict } from "../stats/confidence.ts";
import type { ChartData } from "./series.ts";
import type { Summary } from "../stats/summary.ts";
import type { SlaResult } from "../stats/sla.ts";
import type { BreakdownPart, TimeBreakdown } from "../stats/time_breakdown.ts";
import { abSentence, resolvable, slaSentence } from "./verdict.ts";

/** One run's headline numbers for the summary table. */
export interface HtmlRunSummary {
  name: string;
  /** Where the data came from, e.g. `results/a.csv (hey)`. */
  source?: string;
  count: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Whether the sample is too small to tell P99 from the maximum (fewer than 100 successes). */
  p99IsMax?: boolean;
  maxMs: number | null;
  throughputRps: number;
}

/**
 * The run row of the report from a run summary (a field mapping, no computing).
 *
 * @example
 * ```ts
 * import { htmlRunSummary } from "./html.ts";
 * import { summarize } from "../stats/summary.ts";
 * htmlRunSummary("A", "a.csv", summarize([])).count; // 0
 * ```
 */
export function htmlRunSummary(name: string, source: string, s: Summary): HtmlRunSummary {
  return {
    name,
    source,
    count: s.count,
    errors: s.errors,
    p50Ms: s.p50_ms,
    p95Ms: s.p95_ms,
    p99Ms: s.p99_ms,
    p99IsMax: s.p99_ms !== null && !resolvable(99, s.successes),
    maxMs: s.max_ms,
    throughputRps: s.throughput_rps,
  };
}

/** One SLA rule's verdict for one run. */
export type HtmlSlaRow = SlaVerdict & {
  /** The rule as written, e.g. `p95<=800ms`. */
  rule: string;
  run: string;
};

/** A limit to draw on the percentile curve. */
export interface HtmlSlaLine {
  label: string;
  limitMs: number;
}

/** The comparison of two runs, with their names. */
export type HtmlComparison = BootstrapComparison & { baseline: string; candidate: string };

/** Everything the HTML report shows. */
export interface HtmlReportInput {
  title: string;
  /** Shown as is, e.g. an ISO time supplied by the caller (the renderer reads no clock). */
  generatedAt: string;
  runs: HtmlRunSummary[];
  charts: ChartData;
  slaLines?: HtmlSlaLine[];
  sla?: HtmlSlaRow[];
  comparison?: HtmlComparison | null;
  /** Per-target A/B deltas (`compare`, `suite` with `--targets`), matched by name. */
  targetDeltas?: readonly TargetDelta[];
  /** A client ladder (`suite --ladder`): its table and P95 chart. */
  ladder?: HtmlLadder | null;
  /** Free-text caveats, e.g. the detected input formats; line breaks are kept. */
  notes?: string[];
  /**
   * The banner at the top: one line per question (the SLA, the A/B), each
   * with the verdict that colours it.
   */
  headline?: HtmlHeadline[];
  /**
   * Where the time went: each run's mean request split into its phases
   * (`time_breakdown.ts`); runs without phases are left out, and the
   * section with them.
   */
  breakdown?: { name: string; breakdown: TimeBreakdown | null }[];
}

/** One line of the headline banner. */
export interface HtmlHeadline {
  text: string;
  verdict: "pass" | "fail" | "inconclusive" | "improved" | "regressed" | "neutral";
}

/**
 * The banner's lines: one per SLA rule judged on `run`, then the A/B verdict
 * in words when `ab` is given.
 *
 * @example
 * ```ts ignore
 * renderHtmlReport({ ...input, headline: htmlHeadline(results, "optimized", { names, comparison }) });
 * ```
 */
export function htmlHeadline(
  results: readonly SlaResult[],
  run: string,
  ab?: { names: [string, string]; comparison: BootstrapComparison | null },
): HtmlHeadline[] {
  const lines: HtmlHeadline[] = results.map((r) => ({
    text: `SLA: ${slaSentence(r, run)}`,
    verdict: r.verdict,
  }));
  if (ab) {
    const v = ab.comparison?.verdict;
    lines.push({
      text: `A/B: ${abSentence(ab.names, ab.comparison)}`,
      verdict: v === "improved" || v === "regressed" ? v : "neutral",
    });
  }
  return lines;
}

function banner(lines: readonly HtmlHeadline[] | undefined): string {
  if (!lines || lines.length === 0) return "";
  const items = lines.map((l) =>
    `<p class="v-${l.verdict}"><span class="verdict">${esc(l.text)}</span></p>`
  )
    .join("\n");
  return `<section id="headline" class="banner">\n${items}\n</section>`;
}

/** One rung of a client ladder as the report shows it. */
export interface HtmlLadderRung {
  name: string;
  /** The client settings in words, e.g. `fast, keep-alive, pool 20`. */
  settings: string;
  /** Connections opened, `null` when unknown. */
  connections: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Ends of the P95 confidence interval (`null`: unbounded or no data). */
  p95LowerMs: number | null;
  p95UpperMs: number | null;
  slaVerdict: "pass" | "fail" | "inconclusive";
}

/** One step between adjacent rungs. */
export interface HtmlLadderStep {
  from: string;
  to: string;
  deltaP50Ms: number | null;
  deltaP95Ms: number | null;
  ciP95Ms: [number, number] | null;
  verdict: string | null;
}

/** A client ladder: rungs in order, the steps between them, the SLA limit to draw. */
export interface HtmlLadder {
  rungs: HtmlLadderRung[];
  steps: HtmlLadderStep[];
  /** The latency SLA on P95 (or the first latency rule), drawn as a line; `null` for none. */
  slaLine: HtmlSlaLine | null;
  /** Two-sided level of the intervals, e.g. 0.95. */
  confidence: number;
}

/** Escapes text for HTML element content and attribute values. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  return `${a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`;
}

/** A relative latency change in words (`12.5% faster`), never a sign to decode. */
function change(relative: number | null): string {
  if (relative === null) return "–";
  if (Math.abs(relative) < 0.0005) return "same";
  return `${Math.abs(relative * 100).toFixed(1)}% ${relative < 0 ? "faster" : "slower"}`;
}

function runsTable(runs: readonly HtmlRunSummary[]): string {
  const rows = runs.map((r) =>
    `<tr><th scope="row">${esc(r.name)}</th><td>${
      esc(r.source ?? "")
    }</td><td>${r.count}</td><td>${r.errors}</td><td>${ms(r.p50Ms)}</td><td>${
      ms(r.p95Ms)
    }</td><td>${ms(r.p99Ms)}${
      r.p99IsMax ? ' <span title="fewer than 100 successes: P99 is the maximum">(= max)</span>' : ""
    }</td><td>${ms(r.maxMs)}</td><td>${r.throughputRps.toFixed(1)}</td></tr>`
  ).join("\n");
  return `<table id="runs"><thead><tr><th>Run</th><th>Source</th><th>Requests</th><th>Errors</th><th>P50</th><th>P95</th><th>P99</th><th>Max</th><th>req/s</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function targetDeltaTable(deltas: readonly TargetDelta[]): string {
  if (deltas.length === 0) return "";
  const cell = (d: TargetDelta, metric: string) => {
    const m = d.metrics.find((x) => x.metric === metric);
    return m ? `${ms(m.delta)} [${ms(m.lower)}, ${ms(m.upper)}]` : "";
  };
  const rows = deltas.map((d) =>
    `<tr><th scope="row">${esc(d.name)}</th><td>${d.countA}</td><td>${d.countB}</td><td>${
      cell(d, "p50")
    }</td><td>${cell(d, "p95")}</td><td>${cell(d, "p99")}</td><td>${
      esc(d.verdict ?? "not compared")
    }</td></tr>`
  ).join("\n");
  return `<table id="targets"><caption>B − A per target, ${
    fmtLevel(deltas[0]?.confidence ?? 0.95)
  } bootstrap interval</caption><thead><tr><th>Target</th><th>Requests A</th><th>Requests B</th><th>ΔP50</th><th>ΔP95</th><th>ΔP99</th><th>Verdict</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

const PART_LABELS: Record<BreakdownPart, [string, string]> = {
  start_lag: ["waiting to start", "#b0b0b0"],
  connect: ["TCP connect", "#8250df"],
  tls: ["TLS handshake", "#bf3989"],
  to_first_byte: ["to first byte", "#0969da"],
  to_first_body: ["to first body byte", "#1a7f37"],
  rest: ["rest of the body", "#d4a72c"],
};

/**
 * "Where the time went": one stacked bar per run (its mean request, parts in
 * order, on one scale across runs) and the numbers in a table; `""` when no
 * run has phases.
 */
function breakdownSection(
  runs: readonly { name: string; breakdown: TimeBreakdown | null }[] | undefined,
): string {
  const shown = (runs ?? []).filter((r) => r.breakdown !== null) as {
    name: string;
    breakdown: TimeBreakdown;
  }[];
  if (shown.length === 0) return "";
  const max = Math.max(...shown.map((r) => r.breakdown.mean_ms), 1e-9);
  const label = 130, width = 860, bar = 22, gap = 10;
  const height = shown.length * (bar + gap) + gap;
  const plot = width - label - 10;
  const bars = shown.map((r, i) => {
    const y = gap + i * (bar + gap);
    let x = label;
    const rects = r.breakdown.parts.map((p) => {
      const w = (p.mean_ms / max) * plot;
      const [what, color] = PART_LABELS[p.part];
      const rect = `<rect class="part-${p.part}" x="${x.toFixed(1)}" y="${y}" width="${
        w.toFixed(1)
      }" height="${bar}" fill="${color}"><title>${esc(r.name)}: ${what} ${
        ms(p.mean_ms)
      }</title></rect>`;
      x += w;
      return rect;
    }).join("");
    return `<text x="${label - 6}" y="${y + bar / 2 + 4}" text-anchor="end">${
      esc(r.name)
    }</text>${rects}`;
  }).join("\n");
  const parts = [...new Set(shown.flatMap((r) => r.breakdown.parts.map((p) => p.part)))];
  const head = parts.map((p) =>
    `<th><span style="color:${PART_LABELS[p][1]}">■</span> ${PART_LABELS[p][0]}</th>`
  ).join("");
  const rows = shown.map((r) =>
    `<tr><th scope="row">${esc(r.name)}</th>${
      parts.map((p) => `<td>${ms(r.breakdown.parts.find((x) => x.part === p)?.mean_ms)}</td>`)
        .join("")
    }<td>${ms(r.breakdown.mean_ms)}</td><td>${r.breakdown.requests}</td></tr>`
  ).join("\n");
  return `<h2>Where the time went (mean request)</h2>
<svg id="breakdown" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="mean request split into phases, per run">
${bars}
</svg>
<table id="breakdown-table"><thead><tr><th>Run</th>${head}<th>mean</th><th>requests</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="meta">Means over the successful requests, so the parts add up to the mean latency; a request that reused a connection spends 0 in connect and TLS. (k6 times connect and TLS outside its request duration: for a k6 file the bar is longer than its mean latency by them.)</p>`;
}

function slaTable(rows: readonly HtmlSlaRow[]): string {
  if (rows.length === 0) return "";
  const body = rows.map((r) => {
    const level = r.confidence === null ? "point estimate" : `${fmtLevel(r.confidence)} one-sided`;
    const need = r.minSamples === undefined
      ? ""
      : r.minSamples === null
      ? " (no sample size is enough for this bound)"
      : ` (needs ≥ ${r.minSamples} samples)`;
    return `<tr class="v-${r.verdict}"><th scope="row">${esc(r.rule)}</th><td>${
      esc(r.run)
    }</td><td class="verdict">${r.verdict}${esc(need)}</td><td>${ms(r.point)}</td><td>${
      ms(r.lower)
    }</td><td>${ms(r.upper)}</td><td>${r.n}</td><td>${level}</td></tr>`;
  }).join("\n");
  return `<h2>SLA verdicts</h2>
<table id="sla"><thead><tr><th>Rule</th><th>Run</th><th>Verdict</th><th>Point</th><th>Lower bound</th><th>Upper bound</th><th>n</th><th>Confidence</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function comparisonTable(c: HtmlComparison | null | undefined): string {
  if (!c) return "";
  const body = c.metrics.map((m) =>
    `<tr class="v-${m.verdict.replace(/ /g, "-")}"><th scope="row">${m.metric}${
      m.metric === c.primary ? " (headline)" : ""
    }</th><td>${ms(m.a)}</td><td>${ms(m.b)}</td><td>${ms(m.delta)}</td><td>${
      change(m.relative)
    }</td><td>[${ms(m.lower)}, ${ms(m.upper)}]</td><td class="verdict">${m.verdict}</td></tr>`
  ).join("\n");
  return `<h2>Comparison: ${esc(c.candidate)} vs ${esc(c.baseline)} — ${esc(c.verdict)}</h2>
<p>${esc(abSentence([c.baseline, c.candidate], c))}.</p>
<p>Difference = ${esc(c.candidate)} − ${esc(c.baseline)} (below zero: ${
    esc(c.candidate)
  } is faster). ${
    fmtLevel(c.confidence)
  } intervals from a circular block bootstrap over time (${c.resamples} resamples, seed ${c.seed}, block lengths ${c.blockLength.a} and ${c.blockLength.b} requests).</p>
<table id="comparison"><thead><tr><th>Metric</th><th>${esc(c.baseline)}</th><th>${
    esc(c.candidate)
  }</th><th>Difference</th><th>Change</th><th>Interval of the difference</th><th>Verdict</th></tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function ladderTable(l: HtmlLadder): string {
  const level = fmtLevel(l.confidence);
  const rows = l.rungs.map((r, i) => {
    const step = i === 0 ? null : l.steps[i - 1];
    const stepText = step
      ? `${step.verdict ?? "no verdict"} (ΔP95 ${ms(step.deltaP95Ms)}${
        step.ciP95Ms ? `, [${ms(step.ciP95Ms[0])}, ${ms(step.ciP95Ms[1])}]` : ""
      })`
      : "–";
    const cls = step?.verdict ? ` class="v-${step.verdict.replace(/ /g, "-")}"` : "";
    return `<tr${cls}><th scope="row">${i + 1}. ${esc(r.name)}</th><td>${esc(r.settings)}</td><td>${
      r.connections ?? "?"
    }</td><td>${ms(r.p50Ms)}</td><td>${ms(r.p95Ms)} [${ms(r.p95LowerMs)}, ${
      ms(r.p95UpperMs)
    }]</td><td class="sla-${r.slaVerdict}">${r.slaVerdict}</td><td class="verdict step">${
      esc(stepText)
    }</td></tr>`;
  }).join("\n");
  return `<h2>Client ladder</h2>
<p>Each rung is one client change away from the one above it; every rung sent the same requests in interleaved blocks. Step verdict: the change from the rung above, ${level} block-bootstrap interval of ΔP95 (negative is faster).</p>
<table id="ladder"><thead><tr><th>Rung</th><th>Client</th><th>Connections</th><th>P50</th><th>P95 [${level} CI]</th><th>SLA</th><th>Step from the rung above</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${ladderChart(l)}`;
}

/** A step of 1, 2 or 5 × 10^k giving about 5 ticks up to `max`. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** The ladder chart: P95 per rung with its interval as a whisker, and the SLA line (inline SVG). */
function ladderChart(l: HtmlLadder): string {
  const W = 900, H = 320, left = 70, right = 20, top = 30, bottom = 50;
  const values = l.rungs.flatMap((r) => [r.p95Ms, r.p95UpperMs, r.p95LowerMs]);
  if (l.slaLine) values.push(l.slaLine.limitMs);
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return "";
  const step = niceStep(Math.max(...finite) * 1.1 || 1);
  const yMax = Math.ceil((Math.max(...finite) * 1.1) / step) * step || 1;
  const y = (v: number) => top + (H - top - bottom) * (1 - v / yMax);
  const slot = (W - left - right) / l.rungs.length;
  const x = (i: number) => left + slot * (i + 0.5);
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  for (let t = 0; t <= yMax + 1e-9; t += step) {
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${f(y(t))}" y2="${
        f(y(t))
      }" stroke="#eee"/><text x="${left - 6}" y="${
        f(y(t) + 4)
      }" text-anchor="end" font-size="11">${+t.toFixed(6)}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${f(top + (H - top - bottom) / 2)}" font-size="12" text-anchor="middle" ` +
      `transform="rotate(-90 14 ${f(top + (H - top - bottom) / 2)})">P95 (ms)</text>`,
  );
  if (l.slaLine) {
    const yl = f(y(l.slaLine.limitMs));
    parts.push(
      `<line class="sla-line" x1="${left}" x2="${
        W - right
      }" y1="${yl}" y2="${yl}" stroke="#d62728" stroke-dasharray="8 5" stroke-width="1.5"/>` +
        `<text x="${W - right}" y="${
          f(+yl - 5)
        }" text-anchor="end" font-size="11" fill="#d62728">SLA ${esc(l.slaLine.label)}</text>`,
    );
  }
  l.rungs.forEach((r, i) => {
    const cx = f(x(i));
    if (r.p95LowerMs !== null || r.p95UpperMs !== null) {
      const lo = y(r.p95LowerMs ?? 0);
      const hi = y(r.p95UpperMs ?? yMax);
      parts.push(
        `<line class="ci" x1="${cx}" x2="${cx}" y1="${f(lo)}" y2="${
          f(hi)
        }" stroke="#1f77b4" stroke-width="2"/>` +
          `<line x1="${f(x(i) - 8)}" x2="${f(x(i) + 8)}" y1="${f(lo)}" y2="${
            f(lo)
          }" stroke="#1f77b4" stroke-width="2"/>` +
          (r.p95UpperMs === null
            ? ""
            : `<line x1="${f(x(i) - 8)}" x2="${f(x(i) + 8)}" y1="${f(hi)}" y2="${
              f(hi)
            }" stroke="#1f77b4" stroke-width="2"/>`),
      );
    }
    if (r.p95Ms !== null) {
      parts.push(
        `<circle class="p95" cx="${cx}" cy="${f(y(r.p95Ms))}" r="5" fill="#1f77b4"><title>${
          esc(r.name)
        }: P95 ${ms(r.p95Ms)} [${ms(r.p95LowerMs)}, ${ms(r.p95UpperMs)}]</title></circle>` +
          `<text x="${f(x(i) + 10)}" y="${f(y(r.p95Ms) + 4)}" font-size="11">${ms(r.p95Ms)}</text>`,
      );
    }
    parts.push(
      `<text x="${cx}" y="${H - bottom + 18}" text-anchor="middle" font-size="12">${i + 1}. ${
        esc(r.name)
      }</text><text x="${cx}" y="${
        H - bottom + 34
      }" text-anchor="middle" font-size="11" fill="#666">${
        r.connections === null ? "?" : r.connections
      } connection${r.connections === 1 ? "" : "s"}</text>`,
    );
  });
  return `<div class="chart" id="chart-ladder"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="P95 per rung with its confidence interval and the SLA line">
<text x="${left}" y="18" font-size="14" font-weight="600">P95 per rung, with its ${
    fmtLevel(l.confidence)
  } interval${l.slaLine ? " and the SLA" : ""}</text>
${parts.join("\n")}
</svg></div>`;
}

/** Runs in the browser: draws the three charts with uPlot, then records what it drew. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById("tailgate-data").textContent);
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"];
  function width(el) { return Math.max(320, Math.min(1000, el.clientWidth || 900)); }
  function fmtPct(x) {
    var p = 100 * (1 - 1 / x);
    if (p <= 0) return "0%";
    var d = p >= 99 ? Math.max(0, Math.round(-Math.log10(100 - p))) : 0;
    return p.toFixed(d) + "%";
  }
  function fmtMs(v) { return v == null ? "" : (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + " ms"; }
  var charts = [];
  try {
    var pc = data.charts.percentiles;
    var el1 = document.getElementById("chart-percentiles");
    var s1 = [{ label: "percentile", value: function (u, x) { return x == null ? "" : fmtPct(x); } }];
    var c1 = [pc.x];
    pc.series.forEach(function (s, i) {
      s1.push({ label: s.name, stroke: COLORS[i % COLORS.length], width: 2, value: function (u, v) { return fmtMs(v); } });
      c1.push(s.valuesMs);
    });
    (data.slaLines || []).forEach(function (l) {
      s1.push({ label: "SLA " + l.label, stroke: "#d62728", dash: [8, 5], width: 1.5, points: { show: false },
        value: function (u, v) { return fmtMs(v); } });
      c1.push(pc.x.map(function () { return l.limitMs; }));
    });
    charts.push(new uPlot({
      title: "Latency by percentile (log-scale tail)", width: width(el1), height: 380, legend: { live: false },
      scales: { x: { time: false, distr: 3, log: 10 }, y: { distr: 3, log: 10 } },
      axes: [
        { label: "percentile", space: 30,
          splits: function (u) {
            var out = [1, 2], max = u.scales.x.max || 10;
            for (var v = 10; v <= max * 1.0001; v *= 10) out.push(v);
            return out;
          },
          // uPlot's default log-axis filter blanks non-decade splits (like 2 = P50): keep all.
          filter: function (u, splits) { return splits; },
          values: function (u, splits) { return splits.map(fmtPct); } },
        { label: "latency (ms)", size: 70 },
      ],
      series: s1,
    }, c1, el1));

    var h = data.charts.histogram;
    var el2 = document.getElementById("chart-histogram");
    if (h.edgesMs.length > 1) {
      var centers = [];
      for (var i = 0; i + 1 < h.edgesMs.length; i++) centers.push(Math.sqrt(Math.max(h.edgesMs[i], 1e-9) * h.edgesMs[i + 1]));
      var s2 = [{ label: "latency (ms)", value: function (u, v) { return fmtMs(v); } }];
      var c2 = [centers];
      h.series.forEach(function (s, i) {
        s2.push({ label: s.name, stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length] + "33", width: 1.5,
          points: { show: false },
          paths: uPlot.paths.stepped({ align: 0 }), value: function (u, v) { return v == null ? "" : v.toFixed(2) + "%"; } });
        c2.push(s.shares.map(function (x) { return 100 * x; }));
      });
      var logX = h.edgesMs[0] > 0;
      charts.push(new uPlot({
        title: "Latency histogram (share of each run's requests)", width: width(el2), height: 300, legend: { live: false },
        scales: { x: logX ? { time: false, distr: 3, log: 10 } : { time: false } },
        axes: [{ label: "latency (ms)" }, { label: "% of requests", size: 60 }],
        series: s2,
      }, c2, el2));
    }

    var ot = data.charts.overTime;
    var el3 = document.getElementById("chart-time");
    var s3 = [{ label: "seconds", value: function (u, v) { return v == null ? "" : v.toFixed(2) + " s"; } }];
    var c3 = [ot.x];
    ot.series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      s3.push({ label: s.name + " P50", stroke: color, width: 2, value: function (u, v) { return fmtMs(v); } });
      c3.push(s.p50Ms);
      s3.push({ label: s.name + " max", stroke: color, dash: [3, 3], width: 1, value: function (u, v) { return fmtMs(v); } });
      c3.push(s.maxMs);
    });
    charts.push(new uPlot({
      title: "Latency over time (bucket " + ot.bucketS + " s, from each run's start)", width: width(el3), height: 300, legend: { live: false },
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [{ label: "seconds since start" }, { label: "latency (ms)", size: 70 }],
      series: s3,
    }, c3, el3));
  } catch (e) {
    document.body.setAttribute("data-render-error", String(e && e.stack || e));
  }
  // Record what was drawn (for tests and curious readers): canvas sizes and inked pixels.
  // uPlot draws in a microtask after construction, so look after it.
  setTimeout(function () {
  var drawn = Array.prototype.map.call(document.querySelectorAll("canvas"), function (c) {
    var inked = 0;
    try {
      var px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (var k = 3; k < px.length; k += 4) if (px[k] !== 0) inked++;
    } catch (e) { inked = -1; }
    return { id: c.closest("[id]") ? c.closest("[id]").id : "", width: c.width, height: c.height, inked: inked };
  });
  document.body.setAttribute("data-rendered", JSON.stringify(drawn));
  }, 0);
})();
`;

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1040px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 0; } h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #666; margin-top: 4px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; white-space: nowrap; }
th[scope=row], thead th:first-child { text-align: left; }
.v-pass .verdict, .v-improved .verdict { color: #1a7f37; font-weight: 600; }
.v-fail .verdict, .v-regressed .verdict { color: #cf222e; font-weight: 600; }
.v-inconclusive .verdict { color: #9a6700; font-weight: 600; }
.chart { margin: 18px 0; }
ul.notes { color: #555; }
ul.notes li { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12.5px; margin: 6px 0; }
#ladder td:nth-child(2), #ladder td.step { white-space: normal; }
#ladder td.step { text-align: left; min-width: 12em; max-width: 20em; }
.banner { border: 1px solid #ddd; border-radius: 6px; padding: 6px 14px; margin: 12px 0 18px; background: #fafafa; }
.banner p { margin: 6px 0; font-size: 16px; }
.v-neutral .verdict { font-weight: 600; }
`;

/**
 * Renders the report as one HTML document with uPlot and the data inlined.
 *
 * @example
 * ```ts
 * import { renderHtmlReport } from "./html.ts";
 * import { buildChartData } from "./series.ts";
 * const html = renderHtmlReport({
 *   title: "tailgate report", generatedAt: "2026-01-01T00:00:00Z", runs: [],
 *   charts: buildChartData([]),
 * });
 * html.startsWith("<!DOCTYPE html>"); // true
 * ```
 */
export function renderHtmlReport(input: HtmlReportInput): string {
  const data = { charts: input.charts, slaLines: input.slaLines ?? [] };
  // JSON inside <script> must not contain "</script>": escape every "<".
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  const notes = (input.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<!-- uPlot 1.6.32, MIT License, (c) 2022 Leon Sorokin, https://github.com/leeoniya/uPlot -->
<style>${UPLOT_CSS.replace(/<\/style/gi, "<\\/style")}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
<p class="meta">Generated ${esc(input.generatedAt)} by tailgate.</p>
${banner(input.headline)}
${runsTable(input.runs)}
${slaTable(input.sla ?? [])}
${comparisonTable(input.comparison)}
${targetDeltaTable(input.targetDeltas ?? [])}
${input.ladder ? ladderTable(input.ladder) : ""}
${breakdownSection(input.breakdown)}
<div class="chart" id="chart-percentiles"></div>
<div class="chart" id="chart-histogram"></div>
<div class="chart" id="chart-time"></div>
${notes ? `<ul class="notes">\n${notes}\n</ul>` : ""}
<script type="application/json" id="tailgate-data">${json}</script>
<script>${UPLOT_JS.replace(/<\/script/gi, "<\\/script")}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
