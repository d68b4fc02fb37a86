/** Test helper: a temporary directory for the length of a callback. */

/**
 * Runs `fn` with a fresh temporary directory, removed with all it holds
 * afterwards, whether `fn` passes or throws.
 *
 * @example
 * ```ts ignore
 * await withTempDir(async (dir) => {
 *   await Deno.writeTextFile(`${dir}/run.csv`, "");
 * }, { dir: "/tmp", prefix: "my_test_" });
 * ```
 */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
  options: Deno.MakeTempOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir(options);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
