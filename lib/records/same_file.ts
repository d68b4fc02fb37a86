/**
 * Whether two paths name the same file: same device and inode, so
 * `./in.csv`, `in.csv`, a hard link and a symlink all count as one. Used to
 * refuse an output path that is one of the inputs.
 *
 * @module
 */

/**
 * `true` when `a` and `b` both exist and are the same file (device and
 * inode, symlinks followed); `false` when either does not exist. Falls back
 * to comparing resolved paths where the platform has no inode numbers.
 *
 * @example
 * ```ts ignore
 * import { sameFile } from "./same_file.ts";
 * await sameFile("results/run.csv", "./results/../results/run.csv"); // true
 * ```
 */
export async function sameFile(a: string, b: string): Promise<boolean> {
  let sa: Deno.FileInfo;
  let sb: Deno.FileInfo;
  try {
    [sa, sb] = await Promise.all([Deno.stat(a), Deno.stat(b)]);
  } catch (err) {
    // Not there yet, or not ours to look at (Deno gates /dev/*): not provably the same file; the
    // read or write itself then reports what is wrong.
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable) return false;
    throw err;
  }
  if (sa.ino === null || sb.ino === null) {
    return (await Deno.realPath(a)) === (await Deno.realPath(b));
  }
  return sa.dev === sb.dev && sa.ino === sb.ino;
}
