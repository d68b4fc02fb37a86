/**
 * The one seam between `lib/` and `mock/`: the mock's flags as CLI options
 * and the mock server, for `serve` and `suite` (see docs/architecture.md).
 */
import { MOCK_FLAGS, type MockConfig, mockConfigFromFlags } from "../../mock/app.ts";
import { SCENARIO_NAMES, scenarioConfig } from "../../mock/scenarios.ts";
import type { OptionSpecs, Values } from "./_args.ts";
import { UsageError } from "./_usage_error.ts";

/** One string option per mock flag, with its default in the help. */
export const MOCK_OPTIONS: OptionSpecs = {
  scenario: {
    type: "string",
    arg: "NAME",
    help: `Network preset (RTT, setup round trips): ${
      SCENARIO_NAMES.join(", ")
    }; other mock flags override it; numbers and sources in mock/scenarios.ts`,
  },
  ...Object.fromEntries(
    MOCK_FLAGS.map((f) => [f.name, {
      type: "string" as const,
      arg: f.kind === "ms" ? "MS" : f.kind === "rate" ? "0..1" : "N",
      help: `${f.help} (default: ${f.default}${f.kind === "ms" ? "ms" : ""})`,
    }]),
  ),
};

/** Reads the mock flags out of parsed values, as a UsageError on bad input. */
export function mockConfigFromValues(values: Values): MockConfig {
  const raw: Record<string, string | undefined> = {};
  for (const f of MOCK_FLAGS) {
    const v = values[f.name];
    if (typeof v === "string") raw[f.name] = v;
  }
  const scenario = values.scenario;
  let base = {};
  if (typeof scenario === "string") {
    try {
      base = scenarioConfig(scenario);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  try {
    return mockConfigFromFlags(raw, base);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see --help for the range`);
  }
}

/** The mock server, for `serve` and `suite`: with this file, the one place `lib/` imports `mock/`. */
export { serveMock } from "../../mock/server.ts";
