/**
 * Reader for k6's JSON output (`k6 run --out json=file.json`).
 *
 * Format source: grafana/k6 `output/json/wrapper.go` (`sampleEnvelope`,
 * `metricEnvelope`) and the k6 docs page "JSON" (results output). One JSON
 * object per line: `{"type":"Metric","data":{...},"metric":"http_reqs"}` once
 * per metric, and `{"type":"Point","data":{"time":"<RFC 3339>","value":V,
 * "tags":{...}},"metric":"http_req_duration"}` per sample (newer releases add
 * `"metadata"` to `data`, e.g. `vu` and `iter`). Values of the `http_req_*`
 * trend metrics are in **milliseconds**; `time` has sub-second precision.
 *
 * A request is read as in the CSV reader (`k6.ts`): from its
 * `http_req_duration` point, completed by the phase points after it with the
 * same time, tags and metadata (`http_req_connecting`,
 * `http_req_tls_handshaking`, `http_req_sending` + `http_req_waiting`), up to
 * `http_req_receiving`. The fixture `tests/fixtures/k6.ndjson` follows that
 * documented layout (k6 is not installable here).
 *
 * @module
 */
import type { RequestRecord } from "../../record.ts";
import { makeRecord } from "./_shared.ts";
import { k6Error, K6Requests } from "./k6.ts";
import { type FormatSpec, readText, shown } from "./rows.ts";

/** Whether a line is a k6 JSON envelope (the first line of a `--out json` file). */
export function isK6JsonLine(line: string): boolean {
  return /^\{\s*"type"\s*:\s*"(Metric|Point)"/.test(line) ||
    (line.startsWith("{") && /"type"\s*:\s*"(Metric|Point)"/.test(line) &&
      /"metric"\s*:/.test(line));
}

interface Point {
  type?: unknown;
  metric?: unknown;
  data?: { time?: unknown; value?: unknown; tags?: unknown; metadata?: unknown };
}

function bad(line: number, what: string): SyntaxError {
  return new SyntaxError(`Cannot read k6 JSON line ${line}: ${what}`);
}

/** A tag's number (`status`, `error_code`), 0 when absent or empty. */
function tagNumber(tags: Record<string, unknown>, name: string, line: number): number {
  const raw = tags[name];
  if (raw === undefined || raw === null || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw bad(line, `tag ${name} is not a number: ${shown(String(raw))}`);
  return n;
}

/** How a k6 JSON file is read (see the module doc), line by line. */
export const K6_JSON_FORMAT: FormatSpec = {
  label: "k6",
  noun: "JSON",
  header: false,
  quoted: false,
  wholeLines: true,
  uniqueIds: false,
  open() {
    let id = 0;
    const requests = new K6Requests();
    const decode = (fields: string[], line: number): RequestRecord | null => {
      const text = fields[0] ?? "";
      // Only the samples of http_req_* metrics are parsed.
      if (!text.includes('"http_req_')) return null;
      let p: Point;
      try {
        p = JSON.parse(text);
      } catch {
        throw bad(line, `not a JSON object: ${shown(text.slice(0, 80))}`);
      }
      if (p === null || typeof p !== "object" || p.type !== "Point") return null;
      const name = typeof p.metric === "string" ? p.metric : "";
      if (!name.startsWith("http_req_")) return null;
      const data = p.data;
      if (data === undefined || data === null || typeof data !== "object") {
        throw bad(line, `a ${name} point has no data`);
      }
      const value = data.value;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw bad(line, `the value of ${name} is not a number: ${shown(String(value))}`);
      }
      const key = JSON.stringify([data.time, data.tags, data.metadata ?? null]);
      if (name !== "http_req_duration") {
        return requests.wants(name, key) ? requests.phase(name, value) : null;
      }
      const time = typeof data.time === "string" ? Date.parse(data.time) : NaN;
      if (Number.isNaN(time)) throw bad(line, `time is not a time: ${shown(String(data.time))}`);
      const tags = (data.tags !== null && typeof data.tags === "object" ? data.tags : {}) as Record<
        string,
        unknown
      >;
      const status = tagNumber(tags, "status", line);
      const code = tagNumber(tags, "error_code", line);
      return requests.duration(
        makeRecord({
          id: id++,
          startedMs: time - value,
          latencyMs: value,
          status,
          error: k6Error(code, status),
        }),
        key,
      );
    };
    return Object.assign(decode, { flush: () => requests.flush() });
  },
};

/**
 * Reads the `http_req_duration` points of a k6 JSON file into records, in
 * file order, with the phases of the points after each (see the module
 * doc); `startedMs` is the point's time minus its duration.
 *
 * @throws {SyntaxError} when a line is not JSON or a point is malformed.
 *
 * @example
 * ```ts
 * import { readK6Json } from "./k6_json.ts";
 * const text = '{"type":"Point","data":{"time":"2026-01-01T00:00:00.5Z","value":12.5,' +
 *   '"tags":{"status":"200"}},"metric":"http_req_duration"}\n';
 * readK6Json(text)[0]?.latencyMs; // 12.5
 * ```
 */
export function readK6Json(text: string): RequestRecord[] {
  return readText(K6_JSON_FORMAT, text);
}
