/**
 * Outputs that are whole or absent: a file written to a temporary name in
 * its own directory and renamed into place ({@linkcode writeFileAtomic}),
 * and a set of files staged in a hidden directory inside the output
 * directory, renamed into place together once every one is complete
 * ({@linkcode StagedDir}). A process killed midway leaves the previous
 * outputs as they were, never a truncated file or a mix of two runs.
 *
 * The temporary names are remembered while they exist, so a signal handler
 * that must exit at once can remove them ({@linkcode removeTemporaries}).
 *
 * @module
 */
import { basename } from "node:path";

/** Temporary files and stage directories that exist now, to clean up on a hurried exit. */
const live = new Set<string>();

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
 * Writes `data` to `path` through a temporary file in the same directory,
 * renamed into place: a reader (or a kill midway) sees the old file or the
 * new one, never a truncated one. The temporary file is removed on failure.
 * A symbolic link is followed (the file it points to is replaced); a path
 * that is not a regular file (a device such as /dev/stdout, a FIFO) is
 * written directly, as renaming over it would replace the device; so is a
 * path this process may not read (it cannot tell which it is).
 *
 * @throws whatever `Deno.writeFile` or `Deno.rename` throws.
 *
 * @example
 * ```ts ignore
 * import { writeFileAtomic } from "./atomic_file.ts";
 * await writeFileAtomic("results/report.html", "<!doctype html>…");
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const write = (p: string) =>
    typeof data === "string" ? Deno.writeTextFile(p, data) : Deno.writeFile(p, data);
  let target = path;
  try {
    target = await Deno.realPath(path);
    if (!(await Deno.stat(target)).isFile) return await write(path);
  } catch (err) {
    // Without read permission the path cannot be inspected: write it in place, as a plain write.
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return await write(path);
    }
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const tmp = tempBeside(target);
  live.add(tmp);
  try {
    await write(tmp);
    await Deno.rename(tmp, target);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  } finally {
    live.delete(tmp);
  }
}

/**
 * Removes, synchronously, every temporary file and stage directory this
 * process has open: for a signal handler about to call `Deno.exit`.
 *
 * @example
 * ```ts ignore
 * import { removeTemporaries } from "./atomic_file.ts";
 * Deno.addSignalListener("SIGTERM", () => {
 *   removeTemporaries();
 *   Deno.exit(130);
 * });
 * ```
 */
export function removeTemporaries(): void {
  for (const p of live) {
    try {
      Deno.removeSync(p, { recursive: true });
    } catch { /* already gone */ }
  }
  live.clear();
}

/**
 * A hidden directory inside an output directory where one run's files are
 * written; {@linkcode StagedDir.commit} renames them into the output
 * directory and only then removes the files of the previous run that the
 * new set does not replace, so the directory never holds a mix of two runs.
 * {@linkcode StagedDir.discard} drops the stage and leaves the directory as
 * it was.
 *
 * @example
 * ```ts ignore
 * import { StagedDir } from "./atomic_file.ts";
 * const stage = await StagedDir.create("results");
 * await Deno.writeTextFile(stage.path("results/report.html"), html);
 * await stage.commit(["results/report.html"], ["results/report.html", "results/old.csv"]);
 * ```
 */
export class StagedDir {
  /** The output directory. */
  readonly dir: string;
  /** The stage, inside `dir`. */
  readonly stage: string;
  #done = false;

  private constructor(dir: string, stage: string) {
    this.dir = dir;
    this.stage = stage;
  }

  /** A fresh stage path inside `dir` (`.tailgate.stage-<pid>-<random>`), not yet created. */
  static stagePathIn(dir: string): string {
    const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
    return `${dir}/.tailgate.stage-${Deno.pid}-${rand}`;
  }

  /** Creates the stage inside `dir` (which must exist). */
  static async create(dir: string, stage: string = StagedDir.stagePathIn(dir)): Promise<StagedDir> {
    await Deno.mkdir(stage);
    live.add(stage);
    return new StagedDir(dir, stage);
  }

  /** Where to write the output whose final path is `finalPath` (a file directly in `dir`). */
  path(finalPath: string): string {
    return `${this.stage}/${basename(finalPath)}`;
  }

  /**
   * Renames the staged files of `outputs` (final paths) into place, then
   * removes each path of `previous` that is not among `outputs` (the
   * previous run's files of the same set), then the stage.
   */
  async commit(outputs: readonly string[], previous: readonly string[] = []): Promise<void> {
    if (this.#done) throw new TypeError("Stage already committed or discarded");
    const names = new Set(outputs.map((p) => basename(p)));
    for (const p of outputs) await Deno.rename(this.path(p), `${this.dir}/${basename(p)}`);
    for (const p of previous) {
      if (names.has(basename(p))) continue;
      await Deno.remove(`${this.dir}/${basename(p)}`).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
    }
    await this.discard();
  }

  /** Removes the stage and whatever is still in it. Idempotent. */
  async discard(): Promise<void> {
    this.#done = true;
    await Deno.remove(this.stage, { recursive: true }).catch(() => {});
    live.delete(this.stage);
  }
}
