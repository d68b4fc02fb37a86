/**
 * The version, read once from `deno.json` (the one place it is written).
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/**
 * The version, e.g. `0.1.0`.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * VERSION.split(".").length; // 3
 * ```
 */
export const VERSION: string = denoJson.version;

/**
 * The tool and version as written into sidecars and `--version`, e.g. `tailgate 0.1.0`.
 *
 * @example
 * ```ts
 * import { TOOL } from "./version.ts";
 * TOOL.startsWith("tailgate "); // true
 * ```
 */
export const TOOL = `tailgate ${VERSION}`;
