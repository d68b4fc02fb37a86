/** A successful measured record for tests: scheduled = started, no TTFB, status 200, no body. */
import type { RequestRecord } from "../lib/record.ts";

export function okRecord(
  id: number,
  startedMs: number,
  latencyMs: number,
  over: Partial<RequestRecord> = {},
): RequestRecord {
  return {
    id,
    scheduledMs: startedMs,
    startedMs,
    latencyMs,
    ttfbMs: null,
    status: 200,
    bytes: 0,
    error: "",
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
    ...over,
  };
}
