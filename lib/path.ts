/**
 * Path helpers for the few places that create a file's folder. POSIX-style
 * separators, as the CLI documents its paths.
 *
 * @module
 */

/**
 * The folder part of a path, `""` for a bare file name.
 *
 * @example
 * ```ts
 * import { dirname } from "./path.ts";
 * dirname("results/a.csv"); // "results"
 * dirname("a.csv"); // ""
 * ```
 */
export function dirname(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
}
