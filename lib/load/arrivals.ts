/**
 * Arrival processes of the open model: when request k is due. Pure: no
 * clock, no `Deno.*`; the pacer asks, the runner waits.
 *
 * A schedule is a rate profile r(t) (constant, or linear ramps between
 * stage targets as k6's `ramping-arrival-rate`) and a process:
 *
 * - `constant`: request k is due where the integrated rate Λ(t) = ∫₀ᵗ r
 *   reaches k (solved exactly within a linear segment: a quadratic), so
 *   request 0 is due at the start, as in the constant-rate pacer;
 * - `poisson`: a unit-rate Poisson process E₁ < E₂ < … (sums of seeded
 *   exponential gaps) mapped through Λ⁻¹ (time rescaling): a
 *   non-homogeneous Poisson process with intensity r(t); with a constant
 *   rate R, exponential gaps of mean 1/R.
 *
 * Sharding is exact: worker i of N takes, in Λ-space, the points
 * `k·N + i` of the constant process (the union is the one-machine
 * schedule), or a Poisson process of rate 1/N from its own seed stream
 * (the union of N independent Poisson processes at r(t)/N is a Poisson
 * process at r(t)).
 *
 * @module
 */
import { parseDuration } from "../duration.ts";
import { createRng, deriveSeed } from "../rng.ts";

/** One stage of a ramp: the rate moves linearly to `rate` over `durationMs`. */
export interface Stage {
  /** Length of the stage in ms (> 0). */
  durationMs: number;
  /** Target rate at the stage's end, requests per second (>= 0). */
  rate: number;
}

/** The arrival processes. */
export const ARRIVALS = ["constant", "poisson"] as const;
/** An arrival process. */
export type ArrivalProcess = (typeof ARRIVALS)[number];

/**
 * Parses stages such as `30s:10/s,2m:100/s,30s:0/s` (a rate per second,
 * `/s`, or per minute, `/m`; a bare number is per second).
 *
 * @throws {SyntaxError} on malformed text; {RangeError} on a negative rate
 * or a zero duration. Messages name the stage and show the form.
 *
 * @example
 * ```ts
 * import { parseStages } from "./arrivals.ts";
 * parseStages("30s:10/s,2m:600/m"); // [{ durationMs: 30000, rate: 10 }, { durationMs: 120000, rate: 10 }]
 * ```
 */
export function parseStages(text: string): Stage[] {
  if (text.trim() === "") {
    throw new SyntaxError(
      "Invalid stages: the text is empty; write DURATION:RATE stages separated by commas, e.g. 30s:10/s,2m:100/s",
    );
  }
  return text.split(",").map((part) => {
    const m = /^\s*([^:\s]+)\s*:\s*(-?)(\d+(?:\.\d+)?|\.\d+)\s*(?:\/\s*(s|sec|m|min))?\s*$/i
      .exec(part);
    if (!m) {
      throw new SyntaxError(
        `Invalid stage "${part.trim()}": write DURATION:RATE, e.g. 30s:100/s (stages separated by commas)`,
      );
    }
    let durationMs: number;
    try {
      durationMs = parseDuration(m[1]!);
    } catch (err) {
      throw new SyntaxError(`Invalid stage "${part.trim()}": ${(err as Error).message}`);
    }
    if (!(durationMs > 0)) {
      throw new RangeError(
        `Invalid stage "${part.trim()}": the duration must be greater than zero, e.g. 10s`,
      );
    }
    if (m[2] === "-" && Number(m[3]) !== 0) {
      throw new RangeError(`Invalid stage "${part.trim()}": the rate must be 0 or more, e.g. 0/s`);
    }
    const n = Number(m[3]);
    const rate = (m[4] ?? "s").toLowerCase().startsWith("m") ? n / 60 : n;
    if (!Number.isFinite(rate) || !Number.isFinite(durationMs)) {
      throw new RangeError(`Invalid stage "${part.trim()}": the numbers are too large`);
    }
    return { durationMs, rate };
  });
}

/** A piecewise-linear rate profile and its integral. */
export interface RateProfile {
  /** Target rate at `ms` after the start, requests per second (0 after the last stage). */
  rateAt(ms: number): number;
  /** Requests due by `ms` in the continuous sense: Λ(ms) = ∫₀^ms r. */
  integralAt(ms: number): number;
  /** The first time at which Λ reaches `u`, in ms; `Infinity` when it never does. */
  timeOf(u: number): number;
  /** End of the last stage in ms (`Infinity` for a constant rate). */
  endMs: number;
  /** Λ at the end (`Infinity` for a constant rate). */
  total: number;
}

interface Segment {
  /** Start, duration (seconds; Infinity for the open-ended constant), rates at both ends. */
  t0: number;
  d: number;
  r0: number;
  r1: number;
  /** Λ at the segment's start and over the segment. */
  u0: number;
  du: number;
}

/**
 * The rate profile starting at `startRate` requests per second and moving
 * linearly to each stage's target in turn (k6's `ramping-arrival-rate`,
 * whose `startRate` defaults to 0). With no stages: `startRate` forever.
 *
 * @throws {RangeError} on a negative or non-finite start rate, or a
 * constant profile at rate 0 (nothing would ever be due).
 *
 * @example
 * ```ts
 * import { rateProfile } from "./arrivals.ts";
 * const p = rateProfile(0, [{ durationMs: 10_000, rate: 200 }]);
 * p.rateAt(5000); // 100
 * p.integralAt(10_000); // 1000
 * p.timeOf(250); // 5000
 * ```
 */
export function rateProfile(startRate: number, stages: readonly Stage[]): RateProfile {
  if (!(startRate >= 0) || !Number.isFinite(startRate)) {
    throw new RangeError(
      `Cannot build a rate profile: the start rate must be >= 0, got ${startRate}`,
    );
  }
  if (stages.length === 0 && startRate === 0) {
    throw new RangeError("Cannot build a rate profile: a constant rate must be > 0");
  }
  const segs: Segment[] = [];
  if (stages.length === 0) {
    segs.push({ t0: 0, d: Infinity, r0: startRate, r1: startRate, u0: 0, du: Infinity });
  }
  let t = 0;
  let u = 0;
  let r = startRate;
  for (const s of stages) {
    const d = s.durationMs / 1000;
    const du = ((r + s.rate) / 2) * d;
    segs.push({ t0: t, d, r0: r, r1: s.rate, u0: u, du });
    t += d;
    u += du;
    r = s.rate;
  }
  const endS = stages.length === 0 ? Infinity : t;
  const total = stages.length === 0 ? Infinity : u;
  let cursor = 0;
  /** The segment holding time `ts` (seconds), or null past the end. */
  const segAtTime = (ts: number): Segment | null => {
    for (const s of segs) if (ts < s.t0 + s.d) return s;
    return null;
  };
  return {
    endMs: endS * 1000,
    total,
    rateAt(ms) {
      const s = segAtTime(Math.max(0, ms / 1000));
      if (s === null) return 0;
      if (s.d === Infinity) return s.r0;
      return s.r0 + ((s.r1 - s.r0) * (ms / 1000 - s.t0)) / s.d;
    },
    integralAt(ms) {
      const ts = Math.max(0, ms / 1000);
      const s = segAtTime(ts);
      if (s === null) return total;
      const tau = ts - s.t0;
      const slope = s.d === Infinity ? 0 : (s.r1 - s.r0) / s.d;
      return s.u0 + s.r0 * tau + (slope / 2) * tau * tau;
    },
    timeOf(target) {
      if (!(target >= 0) || target >= total) return Infinity;
      // Accesses are mostly increasing: resume from the last segment, restart when behind.
      if (cursor >= segs.length || target < segs[cursor]!.u0) cursor = 0;
      while (cursor < segs.length && !(target < segs[cursor]!.u0 + segs[cursor]!.du)) cursor++;
      const s = segs[cursor];
      if (s === undefined) return Infinity;
      const du = target - s.u0;
      // Solve a·τ² + b·τ = du with a = slope/2, b = r0; the form 2du/(b + √(b²+4a·du)) is
      // exact for a = 0 and stable when a < 0 (a ramp down).
      const a = s.d === Infinity ? 0 : (s.r1 - s.r0) / (2 * s.d);
      const b = s.r0;
      // du = 0 at a ramp's start from rate 0 would be 0/0.
      const tau = du <= 0
        ? 0
        : a === 0
        ? du / b
        : (2 * du) / (b + Math.sqrt(Math.max(0, b * b + 4 * a * du)));
      return (s.t0 + Math.min(Math.max(0, tau), s.d)) * 1000;
    },
  };
}

/** Options of {@linkcode createArrivals}. */
export interface ArrivalOptions {
  process: ArrivalProcess;
  /** Rate at the start, requests per second (the whole run's, not a shard's). */
  startRate: number;
  /** Ramp stages; none for a constant rate. */
  stages: readonly Stage[];
  /** Seed of the Poisson draws (ignored by `constant`). */
  seed: number;
  /** This worker's place in a sharded run (default 0 of 1). */
  shard?: { index: number; count: number } | null;
}

/** A schedule of due times, read forward. */
export interface Arrivals {
  /**
   * When this worker's request `k` (0-based) is due, in ms from the start;
   * `Infinity` past the end of the stages. Poisson schedules are generated
   * forward: `k` must not be below a value passed to `discardBefore`.
   */
  dueMs(k: number): number;
  /** How many of this worker's requests are due before `ms`. */
  countBefore(ms: number): number;
  /** Frees due times below request `k`; they are not asked for again. */
  discardBefore(k: number): void;
  /** This worker's target rate at `ms`, requests per second. */
  rateAt(ms: number): number;
  /** End of the stages in ms (`Infinity` for a constant rate). */
  endMs: number;
}

/** Purpose tag of the arrival stream in {@linkcode deriveSeed} (other seeded draws use others). */
export const ARRIVAL_STREAM = 0x41525256; // "ARRV"

/**
 * Creates this worker's arrival schedule. The same options give the same
 * schedule on every platform.
 *
 * @throws {RangeError} on a bad rate profile or shard.
 *
 * @example
 * ```ts
 * import { createArrivals } from "./arrivals.ts";
 * const ramp = createArrivals({ process: "constant", startRate: 0, stages: [{ durationMs: 10_000, rate: 200 }], seed: 1 });
 * ramp.dueMs(250); // 5000: Λ(t) = 10t² reaches 250 at t = 5 s
 * const p = createArrivals({ process: "poisson", startRate: 500, stages: [], seed: 1 });
 * p.dueMs(1) > p.dueMs(0); // true: exponential gaps, mean 2 ms
 * ```
 */
export function createArrivals(options: ArrivalOptions): Arrivals {
  const profile = rateProfile(options.startRate, options.stages);
  const index = options.shard?.index ?? 0;
  const count = options.shard?.count ?? 1;
  if (
    !Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 ||
    index >= count
  ) {
    throw new RangeError(`Cannot create arrivals: bad shard ${index}/${count}`);
  }
  const rateAt = (ms: number) => profile.rateAt(ms) / count;
  if (options.process === "constant") {
    const dueMs = (k: number) => profile.timeOf(k * count + index);
    return {
      dueMs,
      countBefore(ms) {
        // Closed form from Λ, then nudged so that it agrees with dueMs() exactly.
        const lambda = Math.min(profile.integralAt(ms), profile.total);
        let c = Math.max(0, Math.ceil((lambda - index) / count));
        while (c > 0 && !(dueMs(c - 1) < ms)) c--;
        while (dueMs(c) < ms) c++;
        return c;
      },
      discardBefore() {},
      rateAt,
      endMs: profile.endMs,
    };
  }
  const stream = () => {
    const rng = createRng(deriveSeed(options.seed, ARRIVAL_STREAM, index, count));
    let u = 0;
    // Exponential gaps of mean `count` in Λ-space: rate 1/count, i.e. r(t)/count in time.
    return (): number => {
      u += -Math.log(1 - rng.next()) * count;
      return profile.timeOf(u);
    };
  };
  const next = stream();
  let base = 0;
  let times: number[] = [];
  return {
    dueMs(k) {
      if (k < base) {
        throw new RangeError(`Cannot look back in a Poisson schedule: request ${k} < ${base}`);
      }
      while (base + times.length <= k) {
        const last = times.length > 0 ? times[times.length - 1]! : 0;
        times.push(last === Infinity ? Infinity : next());
      }
      return times[k - base]!;
    },
    countBefore(ms) {
      // A fresh copy of the stream: the schedule's own buffer stays small.
      const again = stream();
      let c = 0;
      while (again() < ms) c++;
      return c;
    },
    discardBefore(k) {
      if (k - base > 4096 && k - base <= times.length) {
        times = times.slice(k - base);
        base = k;
      }
    },
    rateAt,
    endMs: profile.endMs,
  };
}
