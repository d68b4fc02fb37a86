/**
 * Whole-or-nothing output files: write a temporary file in the same
 * directory, then rename it onto the target. A reader (or a second run
 * writing the same path) sees the old file or the new one, never a mix;
 * the last rename wins.
 *
 * @module
 */
let counter = 0;

/**
 * A fresh temporary path beside `path` (same directory, so renaming it onto
 * `path` is atomic), hidden and unique to this process: `.<name>.<pid>-<n>.tmp`.
 *
 * @example
 * ```ts
 * import { tempBeside } from "./atomic_file.ts";
 * tempBeside("results/run.csv").startsWith("results/.run.csv."); // true
 * ```
 */
export function tempBeside(path: string): string {
  const cut = path.lastIndexOf("/") + 1; // "/x.csv" keeps its "/"
  return `${path.slice(0, cut)}.${path.slice(cut)}.${Deno.pid}-${counter++}.tmp`;
}

/**
 * Writes `data` to a temporary file beside `path` and renames it onto `path`.
 * On failure the temporary file is removed and `path` is left as it was.
 *
 * @throws whatever `Deno.writeFile` or `Deno.rename` throws (a full disk,
 * a denied permission).
 *
 * @example
 * ```ts ignore
 * import { writeAtomic } from "./atomic_file.ts";
 * await writeAtomic("results/run.csv.meta.json", '{"workers":1}\n');
 * ```
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempBeside(path);
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    await Deno.writeFile(tmp, bytes, { createNew: true });
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
