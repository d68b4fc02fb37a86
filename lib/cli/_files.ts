/**
 * File errors as one-line usage errors: why a read or write failed, and the
 * checks that make a command fail before it sends anything or leaves a file
 * behind.
 *
 * @module
 */
import { resolve } from "node:path";
import { dirname } from "../path.ts";
import { metaPath } from "../records/run_meta.ts";
import { sameFile } from "../records/same_file.ts";
import { WriteError } from "../records/write_error.ts";
import { tempBeside, writeFileAtomic } from "../records/atomic_file.ts";
import { UsageError } from "./_usage_error.ts";

/** Why a file operation failed, in a few words (permissions named with the fix). */
export function reason(err: unknown, mode: "read" | "write" = "write"): string {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    // Name the permission Deno actually asked for: checking an output path reads it (stat) first.
    const asked = /Requires (read|write) access/.exec((err as Error).message)?.[1] ?? mode;
    return asked === "write"
      ? "no write permission (the deno tasks grant results/ only; or pass --allow-write)"
      : "no read permission (the deno tasks grant the project directory only; or pass --allow-read)";
  }
  if (err instanceof Deno.errors.NotFound) {
    return mode === "write" ? "no such directory" : "no such file or directory";
  }
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return (err as Error).message.split("\n")[0] ?? String(err);
}

/**
 * Checks that `path` can be written without leaving a file behind: an
 * existing file is opened (not truncated), a new one is created and removed.
 */
export async function checkWritable(path: string, flag: string): Promise<void> {
  let existed = true;
  try {
    const st = await Deno.stat(path);
    if (st.isDirectory) {
      throw new UsageError(`Cannot write ${flag} ${path}: it is a directory; give a file path`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
    }
    existed = false;
  }
  try {
    const dir = dirname(path);
    if (dir && !existed) await Deno.mkdir(dir, { recursive: true });
    const f = await Deno.open(path, { write: true, create: true });
    f.close();
    if (!existed) await Deno.remove(path);
  } catch (err) {
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
}

/** Directories whose entries are devices or views of a process, never a results file. */
const SPECIAL_DIRS = ["/dev/", "/proc/", "/sys/"];

/**
 * Refuses an output that is written beside and renamed into place when it
 * is not a regular file: a path under /dev, /proc or /sys (`/dev/stdout`,
 * `/proc/self/fd/1`), an existing device, FIFO, socket or directory, or a
 * symbolic link (the rename would replace the link, not its target). Looks
 * only (lstat, realpath): never opens the path, so a FIFO cannot block it.
 */
export async function checkRegularOutput(path: string, flag: string): Promise<void> {
  const refuse = (what: string) =>
    new UsageError(
      `Cannot write ${flag} ${path}: ${what}; give a regular file path, e.g. ${flag} results/run.csv (the file is written beside it and renamed into place)`,
    );
  const abs = resolve(path);
  if (SPECIAL_DIRS.some((d) => abs.startsWith(d))) {
    throw refuse(`it is under ${abs.slice(0, abs.indexOf("/", 1) + 1)}, not a regular file`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
  if (info.isSymlink) {
    const target = await Deno.realPath(path).catch(() => null);
    throw refuse(`it is a symbolic link${target ? ` to ${target}` : ""}, which would be replaced`);
  }
  if (info.isDirectory) throw refuse("it is a directory");
  if (!info.isFile) throw refuse("it is not a regular file (a device, FIFO or socket)");
}

/**
 * Refuses an output written whole ({@linkcode writeOutput}, `--out`'s CSV)
 * when the temporary file beside it may not be written: a grant of the file
 * alone (`--allow-write=out.json`) is not enough, and without this check the
 * run would end in that error.
 */
export async function checkTempBeside(path: string, flag: string): Promise<void> {
  const temp = tempBeside(path);
  if ((await Deno.permissions.query({ name: "write", path: temp })).state === "granted") return;
  const dir = temp.slice(0, temp.lastIndexOf("/") + 1) || "./";
  throw new UsageError(
    `No write permission in ${dir}: ${flag} ${path} is written to a temporary file there and renamed into place; add --allow-write=${dir}`,
  );
}

/**
 * Checks early that a report file can be written, so a long run does not
 * end in a write error. An existing file is left as it is (never truncated:
 * an interrupted run must not leave it empty); the report replaces it whole
 * at the end ({@linkcode writeOutput}), through a temporary file beside it
 * that must be writable too ({@linkcode checkTempBeside}).
 */
export async function claimOutput(path: string, flag: string): Promise<void> {
  try {
    // No stat (it would need read permission): try to create it, else open it as it is.
    try {
      (await Deno.open(path, { write: true, createNew: true })).close();
      await Deno.remove(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      (await Deno.open(path, { write: true })).close();
    }
  } catch (err) {
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
  await checkTempBeside(path, flag);
}

/**
 * Writes a report file claimed before, whole: through a temporary file
 * renamed into place, so the old file stays until the new one is complete.
 * A failure now (disk full, a device that refuses writes) is the run
 * failing: a {@linkcode WriteError}, exit 4.
 */
export async function writeOutput(path: string, text: string, flag: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
    }
    throw new WriteError(path, err, flag);
  }
}

/**
 * Refuses outputs that would overwrite an input or each other: the same file
 * by device and inode (so `./in.csv`, a hard link or a symlink count), or by
 * name when it does not exist yet. Call before anything is written.
 */
export async function refuseOverwrites(
  outputs: readonly (readonly [path: string | null | undefined, flag: string])[],
  inputs: readonly (readonly [path: string, what: string])[], // what: "the input in.csv"
): Promise<void> {
  const outs = outputs.filter((o): o is readonly [string, string] => typeof o[0] === "string");
  for (const [out, flag] of outs) {
    for (const [input, what] of inputs) {
      if (resolve(out) === resolve(input) || await sameFile(out, input)) {
        throw new UsageError(
          `Cannot write ${flag} ${out}: it is ${what}, which would be destroyed; choose another path`,
        );
      }
    }
  }
  for (let i = 0; i < outs.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, fa] = outs[i]!;
      const [b, fb] = outs[j]!;
      if (resolve(a) === resolve(b) || await sameFile(a, b)) {
        throw new UsageError(`${fb} and ${fa} both point at ${a}: give them different files`);
      }
    }
  }
}

/**
 * Refuses `--json` at the `--out` CSV or at its sidecar `<out>.meta.json`:
 * overwriting the sidecar would make `merge` refuse the CSV later.
 */
export async function refuseSidecarOverwrite(
  jsonPath: string | null,
  outPath: string | null,
): Promise<void> {
  if (outPath === null || jsonPath === null || jsonPath === "-") return;
  await refuseOverwrites([[jsonPath, "--json"]], [
    [outPath, `the --out CSV ${outPath}`],
    [metaPath(outPath), `the sidecar of --out ${outPath}`],
  ]);
}
