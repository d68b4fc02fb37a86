/**
 * Pure pacing for the open model: a fixed schedule of send times that does
 * not depend on how the server behaves (wrk2's "intended send time"), and
 * the decision what to do with a request that cannot start on time. No
 * clock, no `Deno.*`: the runner passes elapsed times in.
 *
 * @module
 */

/** Options of {@linkcode createPacer}. */
export interface PacerOptions {
  /** Requests per second (> 0). */
  rate: number;
  /** Shift of the whole schedule in ms (sharded workers interleave their schedules). */
  offsetMs?: number;
  /** Stop after this many requests (`Infinity` for no count limit). */
  maxRequests?: number;
  /** Stop scheduling requests due at or after this many ms from the start. */
  durationMs?: number;
}

/** What the pacer says about the next request. */
export interface Pace {
  /** Milliseconds to wait before sending (0 when the request is due or overdue). */
  waitMs: number;
  /** When the request is due, in ms from the start of the run. */
  dueMs: number;
  /** `true` when the schedule is over and nothing more should be sent. */
  stop: boolean;
}

/** A schedule of send times. */
export interface Pacer {
  /**
   * What to do about request number `sent` (0-based: the count already sent
   * or dropped) when `elapsedMs` have passed since the start.
   */
  pace(elapsedMs: number, sent: number): Pace;
  /**
   * How many requests from number `sent` on are due by `elapsedMs` (and not
   * past the end of the schedule): the ones to send in one wake-up.
   */
  dueCount(elapsedMs: number, sent: number): number;
}

/**
 * Creates a constant-rate pacer: request k is due at `offsetMs + k·1000/rate`.
 * The schedule is absolute, so a slow response never delays later sends
 * (the fix for coordinated omission), and timer lateness never accumulates.
 *
 * @throws {RangeError} when `rate` is not a positive finite number, or
 * `offsetMs`, `maxRequests` or `durationMs` is negative.
 *
 * @example
 * ```ts
 * import { createPacer } from "./pacer.ts";
 * const p = createPacer({ rate: 10, maxRequests: 3 });
 * p.pace(0, 0); // { waitMs: 0, dueMs: 0, stop: false }
 * p.pace(30, 1); // { waitMs: 70, dueMs: 100, stop: false }
 * p.pace(500, 3).stop; // true
 * p.dueCount(250, 1); // 2 (requests 1 and 2, due at 100 and 200 ms)
 * ```
 */
export function createPacer(options: PacerOptions): Pacer {
  const { rate } = options;
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(`Cannot pace requests: rate must be a positive number, got ${rate}`);
  }
  const offsetMs = options.offsetMs ?? 0;
  const maxRequests = options.maxRequests ?? Infinity;
  const durationMs = options.durationMs ?? Infinity;
  for (
    const [name, v] of [["offsetMs", offsetMs], ["maxRequests", maxRequests], [
      "durationMs",
      durationMs,
    ]] as const
  ) {
    if (!(v >= 0)) throw new RangeError(`Cannot pace requests: ${name} must be >= 0, got ${v}`);
  }
  const interval = 1000 / rate;
  return {
    pace(elapsedMs: number, sent: number): Pace {
      const dueMs = offsetMs + sent * interval;
      if (sent >= maxRequests || dueMs >= offsetMs + durationMs) {
        return { waitMs: 0, dueMs, stop: true };
      }
      return { waitMs: Math.max(0, dueMs - elapsedMs), dueMs, stop: false };
    },
    dueCount(elapsedMs: number, sent: number): number {
      // Requests k with offsetMs + k·interval <= elapsedMs, below the count and duration bounds.
      const byTime = Math.floor((elapsedMs - offsetMs) / interval) + 1;
      const byDuration = Math.ceil(durationMs / interval);
      const last = Math.min(byTime, maxRequests, byDuration);
      return Math.max(0, last - sent);
    },
  };
}

/** The due times {@linkcode schedulePacer} reads (`Arrivals` in `arrivals.ts`). */
export interface DueTimes {
  /** When request `k` is due in ms from the start; `Infinity` past the end. */
  dueMs(k: number): number;
  /** Optional: due times below request `k` are not asked for again. */
  discardBefore?(k: number): void;
}

/** Most requests one {@linkcode Pacer.dueCount} call of {@linkcode schedulePacer} counts. */
const MAX_DUE_COUNT = 1 << 16;

/**
 * A pacer over any schedule of due times (Poisson gaps, a ramp): request k
 * is due at `schedule.dueMs(k)`. Like {@linkcode createPacer}, the schedule
 * is absolute, so a slow response never delays later sends. `sent` must not
 * decrease from one call to the next (the schedule may be read forward only).
 *
 * @throws {RangeError} when `maxRequests` or `durationMs` is negative.
 *
 * @example
 * ```ts
 * import { schedulePacer } from "./pacer.ts";
 * const p = schedulePacer({ dueMs: (k) => k * k }, { maxRequests: 10 });
 * p.pace(3, 2); // { waitMs: 1, dueMs: 4, stop: false }
 * p.dueCount(9, 2); // 2 (requests 2 and 3, due at 4 and 9 ms)
 * ```
 */
export function schedulePacer(
  schedule: DueTimes,
  options: Omit<PacerOptions, "rate" | "offsetMs"> = {},
): Pacer {
  const maxRequests = options.maxRequests ?? Infinity;
  const durationMs = options.durationMs ?? Infinity;
  if (!(maxRequests >= 0) || !(durationMs >= 0)) {
    throw new RangeError(
      `Cannot pace requests: maxRequests and durationMs must be >= 0, got ${maxRequests} and ${durationMs}`,
    );
  }
  const over = (k: number, due: number) =>
    k >= maxRequests || due >= durationMs || due === Infinity;
  return {
    pace(elapsedMs: number, sent: number): Pace {
      schedule.discardBefore?.(sent);
      const dueMs = schedule.dueMs(sent);
      if (over(sent, dueMs)) return { waitMs: 0, dueMs, stop: true };
      return { waitMs: Math.max(0, dueMs - elapsedMs), dueMs, stop: false };
    },
    dueCount(elapsedMs: number, sent: number): number {
      let k = sent;
      while (k - sent < MAX_DUE_COUNT) {
        const due = schedule.dueMs(k);
        if (over(k, due) || due > elapsedMs) break;
        k++;
      }
      return k - sent;
    },
  };
}

/**
 * How long before a due time the pacer stops sleeping on a timer and
 * yields instead: JavaScript timers fire up to about a millisecond late.
 */
export const SPIN_LEAD_MS = 1.5;

/** What the dispatch loop does next; see {@linkcode planWake}. */
export type WakeAction =
  | { kind: "sleep"; ms: number }
  | { kind: "yield" }
  | { kind: "send" };

/**
 * The pacer's wake-up plan for a request `waitMs` away: sleep on a timer
 * until `leadMs` before it is due, then yield to the event loop (I/O and
 * completions run; a timer would wake up to a millisecond late) until it is
 * due, then send it with everything else due by then.
 *
 * @example
 * ```ts
 * import { planWake } from "./pacer.ts";
 * planWake(10, 1.5); // { kind: "sleep", ms: 8.5 }
 * planWake(0.4, 1.5); // { kind: "yield" }
 * planWake(0, 1.5); // { kind: "send" }
 * ```
 */
export function planWake(waitMs: number, leadMs: number = SPIN_LEAD_MS): WakeAction {
  if (!(waitMs > 0)) return { kind: "send" };
  if (waitMs > leadMs) return { kind: "sleep", ms: waitMs - leadMs };
  return { kind: "yield" };
}

/** How a request that is ready to start relates to its schedule. */
export type StartDecision = "on_time" | "late" | "drop";

/** Bounds of {@linkcode decideStart}. */
export interface StartBounds {
  /** A request that had to wait for a free slot is `late`. */
  waitedForSlot: boolean;
  /** A request more than this many ms behind its schedule is dropped (not sent). */
  dropAfterMs: number;
}

/**
 * Decides whether a request `lagMs` behind its scheduled time is sent on
 * time, sent late (it waited for `--max-in-flight` to free a slot), or
 * dropped because it is further behind than `dropAfterMs`. A dropped
 * request is still recorded (error `dropped`): nothing is skipped silently.
 *
 * @example
 * ```ts
 * import { decideStart } from "./pacer.ts";
 * decideStart(2, { waitedForSlot: false, dropAfterMs: 1000 }); // "on_time"
 * decideStart(40, { waitedForSlot: true, dropAfterMs: 1000 }); // "late"
 * decideStart(1500, { waitedForSlot: true, dropAfterMs: 1000 }); // "drop"
 * ```
 */
export function decideStart(lagMs: number, bounds: StartBounds): StartDecision {
  if (lagMs > bounds.dropAfterMs) return "drop";
  return bounds.waitedForSlot ? "late" : "on_time";
}
