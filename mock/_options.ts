/**
 * The mock's configuration: every parameter, its default, its flag and its
 * validation. Pure: no clock, no `Deno.*`.
 *
 * @module
 */
import { parseDuration } from "../lib/duration.ts";

/** Every tunable of the mock. Plain numbers, so it serializes into `/stats`. */
export interface MockConfig {
  /** Seed of the random streams (unsigned 32-bit integer). */
  seed: number;
  /** Network round-trip time added to every `/api` request, in ms. */
  rttMs: number;
  /** Connection setup in round trips (TCP 1 + TLS 1.3 1 + slow start ≈ 3), charged once per new connection. */
  setupRtts: number;
  /** Median of the lognormal service time, in ms. */
  serviceMedianMs: number;
  /** Sigma (log-space standard deviation) of the lognormal service time. */
  serviceSigma: number;
  /** Probability that a request takes the slow path (cold cache, GC, queueing). */
  slowRate: number;
  /** Least extra time on the slow path, in ms. */
  slowMinMs: number;
  /** Most extra time on the slow path, in ms. */
  slowMaxMs: number;
  /** Largest accepted request body in bytes; larger bodies get 413. */
  maxBodyBytes: number;
  /** Share of `/api` requests answered 500 after the service time. */
  errorRate: number;
  /** Share answered 503 at once (an overloaded front end). */
  unavailableRate: number;
  /** Share answered 429 at once, with `Retry-After`. */
  throttleRate: number;
  /** `Retry-After` seconds on 429 responses. */
  retryAfterS: number;
  /** Share whose connection is cut before any response byte. */
  resetRate: number;
  /** Share whose connection is cut after the headers and half the body. */
  cutRate: number;
  /** Share that get no response until the client gives up (or `stallMaxMs`, then 504). */
  stallRate: number;
  /** Longest stall before the mock answers 504, in ms. */
  stallMaxMs: number;
  /** Share whose body trickles out over `slowBodyMs`. */
  slowBodyRate: number;
  /** How long a slow body takes from headers to last byte, in ms. */
  slowBodyMs: number;
  /** Share answered with a malformed HTTP response (raw HTTP/1.1 transport only). */
  malformedRate: number;
}

/** The fault-rate fields, in the order one uniform draw is compared against them. */
export const FAULT_RATE_KEYS = [
  "errorRate",
  "unavailableRate",
  "throttleRate",
  "resetRate",
  "cutRate",
  "stallRate",
  "slowBodyRate",
  "malformedRate",
] as const satisfies readonly (keyof MockConfig)[];

/** Options of `createMockApp`: any {@linkcode MockConfig} field plus injectable time. */
export interface MockOptions extends Partial<MockConfig> {
  /**
   * Waits `ms` milliseconds; must resolve early (not reject) when `signal`
   * aborts. Tests inject `() => Promise.resolve()` to run instantly.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic milliseconds (for connection setup windows); `performance.now` by default. */
  now?: () => number;
  /** Aborting it ends every pending wait at once (the server aborts it on close). */
  signal?: AbortSignal;
  /**
   * The transport serving the app, set by `serveMock`: `deno` (Deno.serve)
   * cannot write malformed HTTP, so a `malformedRate` above 0 is refused
   * there. Unset (app tests) accepts every fault.
   */
  transport?: "deno" | "raw";
  /** Serve `GET`/`POST /admin/faults` (default true; `serveMock` turns it off when public). */
  admin?: boolean;
  /**
   * The server holds each new connection's setup before its TLS handshake
   * (set by `serveMock`); only reported in `/stats` `setup_at`.
   */
  setupAtHandshake?: boolean;
}

/** Defaults that model a remote inference API over a WAN (reasons in the README). */
export const DEFAULT_MOCK_CONFIG: Readonly<MockConfig> = Object.freeze({
  seed: 1,
  rttMs: 40,
  setupRtts: 3,
  serviceMedianMs: 120,
  serviceSigma: 0.35,
  slowRate: 0.03,
  slowMinMs: 300,
  slowMaxMs: 600,
  maxBodyBytes: 1024 * 1024,
  errorRate: 0,
  unavailableRate: 0,
  throttleRate: 0,
  retryAfterS: 1,
  resetRate: 0,
  cutRate: 0,
  stallRate: 0,
  stallMaxMs: 60_000,
  slowBodyRate: 0,
  slowBodyMs: 2_000,
  malformedRate: 0,
});

/** Alias kept for callers that think in options rather than config. */
export const DEFAULT_MOCK_OPTIONS: Readonly<MockConfig> = DEFAULT_MOCK_CONFIG;

/** How a flag's value is read. */
export type MockFlagKind = "int" | "ms" | "number" | "rate";

/** One `serve` flag, described for `--help` and parsing. */
export interface MockFlag {
  /** Flag name without dashes, e.g. `rtt-ms`. */
  name: string;
  /** The {@linkcode MockConfig} field it sets. */
  key: keyof MockConfig;
  /** `int`: integer; `ms`: milliseconds (a bare number or a duration like `40ms`); `number`; `rate`: 0..1. */
  kind: MockFlagKind;
  default: number;
  min: number;
  max: number;
  help: string;
}

function flag(
  name: string,
  key: keyof MockConfig,
  kind: MockFlagKind,
  min: number,
  max: number,
  help: string,
): MockFlag {
  return { name, key, kind, default: DEFAULT_MOCK_CONFIG[key], min, max, help };
}

const GIB = 1 << 30;

/** A share of requests, 0 to 1. */
const rate = (name: string, key: keyof MockConfig, help: string) =>
  flag(name, key, "rate", 0, 1, help);

/** A time in ms, 0 to 10 minutes. */
const ms = (name: string, key: keyof MockConfig, help: string) =>
  flag(name, key, "ms", 0, 600_000, help);

/** Every mock flag, in `--help` order. */
export const MOCK_FLAGS: readonly MockFlag[] = Object.freeze([
  flag("seed", "seed", "int", 0, 0xffffffff, "Seed of the random streams; same seed, same draws"),
  flag("rtt-ms", "rttMs", "ms", 0, 60_000, "Network round trip added to every /api request"),
  flag(
    "setup-rtts",
    "setupRtts",
    "number",
    0,
    20,
    "Round trips to open a connection (TCP + TLS 1.3), charged once per new connection",
  ),
  flag(
    "service-median-ms",
    "serviceMedianMs",
    "ms",
    0.001,
    600_000,
    "Median server service time (lognormal)",
  ),
  flag("service-sigma", "serviceSigma", "number", 0, 3, "Lognormal sigma of the service time"),
  rate("slow-rate", "slowRate", "Share of requests that take the slow path"),
  ms("slow-min-ms", "slowMinMs", "Least extra time on the slow path"),
  ms("slow-max-ms", "slowMaxMs", "Most extra time on the slow path"),
  flag("max-body-bytes", "maxBodyBytes", "int", 1, GIB, "Largest request body; larger gets 413"),
  rate("error-rate", "errorRate", "Fault: share of /api requests answered 500"),
  rate("unavailable-rate", "unavailableRate", "Fault: share answered 503 at once"),
  rate("throttle-rate", "throttleRate", "Fault: share answered 429 with Retry-After"),
  flag("retry-after-s", "retryAfterS", "int", 0, 86_400, "Retry-After seconds on 429 responses"),
  rate("reset-rate", "resetRate", "Fault: share cut before any response byte"),
  rate("cut-rate", "cutRate", "Fault: share cut after headers and half the body"),
  rate("stall-rate", "stallRate", "Fault: share never answered until the client gives up"),
  ms("stall-max-ms", "stallMaxMs", "Longest stall; then the mock answers 504"),
  rate("slow-body-rate", "slowBodyRate", "Fault: share whose body trickles out"),
  ms("slow-body-ms", "slowBodyMs", "Time a slow body takes to trickle out"),
  rate(
    "malformed-rate",
    "malformedRate",
    "Fault: share answered with malformed HTTP (needs --raw)",
  ),
]);

function parseFlagValue(f: MockFlag, raw: string | number): number {
  let n: number;
  if (typeof raw === "number") {
    n = raw;
  } else if (f.kind === "ms" && /[a-z]\s*$/i.test(raw)) {
    n = parseDuration(raw);
  } else if (raw.trim() === "") {
    throw new SyntaxError(`Invalid --${f.name}: expected a number, got an empty value`);
  } else {
    n = Number(raw);
  }
  if (!Number.isFinite(n)) {
    throw new SyntaxError(`Invalid --${f.name}: expected a number, got "${raw}"`);
  }
  return n;
}

/**
 * Checks a full config against the flag ranges and cross-field rules.
 *
 * @throws {RangeError} when a value is out of range, not an integer where
 * one is needed, or `slowMaxMs < slowMinMs`.
 *
 * @example
 * ```ts
 * import { DEFAULT_MOCK_CONFIG, validateMockConfig } from "./_options.ts";
 * validateMockConfig({ ...DEFAULT_MOCK_CONFIG }); // returns the config
 * ```
 */
export function validateMockConfig(config: MockConfig): MockConfig {
  for (const f of MOCK_FLAGS) {
    const v = config[f.key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < f.min || v > f.max) {
      throw new RangeError(
        `Invalid --${f.name}: must be a number within ${f.min} and ${f.max}, got ${v}`,
      );
    }
    if (f.kind === "int" && !Number.isInteger(v)) {
      throw new RangeError(`Invalid --${f.name}: must be an integer, got ${v}`);
    }
  }
  if (config.slowMaxMs < config.slowMinMs) {
    throw new RangeError(
      `Invalid --slow-max-ms: must be at least --slow-min-ms (${config.slowMinMs}), got ${config.slowMaxMs}`,
    );
  }
  const total = FAULT_RATE_KEYS.reduce((sum, k) => sum + config[k], 0);
  if (total > 1 + 1e-9) {
    throw new RangeError(`Invalid fault rates: they add up to more than 1, got ${total}`);
  }
  return config;
}

/**
 * Builds a validated config from flag values keyed by flag name (`rtt-ms`)
 * or config key (`rttMs`); missing flags take their value from `base` (a
 * preset from `scenarios.ts`), else the defaults. `ms` flags accept bare
 * numbers or durations (`40ms`, `0.5s`).
 *
 * @throws {TypeError} for an unknown flag name.
 * @throws {SyntaxError} for a value that is not a number.
 * @throws {RangeError} for a value out of range.
 *
 * @example
 * ```ts
 * import { mockConfigFromFlags } from "./_options.ts";
 * mockConfigFromFlags({ "rtt-ms": "20ms", seed: "7" }).rttMs; // 20
 * ```
 */
export function mockConfigFromFlags(
  values: Readonly<Record<string, string | number | undefined>>,
  base: Partial<MockConfig> = {},
): MockConfig {
  const config: MockConfig = { ...DEFAULT_MOCK_CONFIG, ...base };
  for (const [name, raw] of Object.entries(values)) {
    if (raw === undefined) continue;
    const f = MOCK_FLAGS.find((x) => x.name === name || x.key === name);
    if (!f) {
      throw new TypeError(
        `Unknown mock flag "${name}": use one of ${MOCK_FLAGS.map((x) => x.name).join(", ")}`,
      );
    }
    config[f.key] = parseFlagValue(f, raw);
  }
  return validateMockConfig(config);
}

/**
 * Merges options over the defaults and validates the result.
 *
 * @throws {RangeError} when a value is out of range.
 */
export function resolveMockConfig(options: Partial<MockConfig>): MockConfig {
  const config: MockConfig = { ...DEFAULT_MOCK_CONFIG };
  for (const f of MOCK_FLAGS) {
    const v = options[f.key];
    if (v !== undefined) config[f.key] = v;
  }
  return validateMockConfig(config);
}
