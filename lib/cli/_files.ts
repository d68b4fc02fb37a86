/**
 * File errors as one-line usage errors: why a read or write failed, and the
 * checks that make a command fail before it sends anything or leaves a file
 * behind.
 *
 * @module
 */
import { UsageError } from "./_usage_error.ts";

/** Why a file operation failed, in a few words (permissions named with the fix). */
export function reason(err: unknown, mode: "read" | "write" = "write"): string {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return mode === "write"
      ? "no write permission (the deno tasks grant results/ only; or pass --allow-write)"
      : "no read permission (the deno tasks grant the project directory only; or pass --allow-read)";
  }
  if (err instanceof Deno.errors.NotFound) {
    return mode === "write" ? "no such directory" : "no such file or directory";
  }
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return (err as Error).message.split("\n")[0] ?? String(err);
}

/** The directory part of a path (`""` for a bare file name). */
export function dirname(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
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

/**
 * Checks early that a report file can be written (creating it empty), so a
 * long run does not end in a write error.
 */
export async function claimOutput(path: string, flag: string): Promise<void> {
  await writeOutput(path, "", flag);
}

/** Writes a report file, as a UsageError naming the flag on failure. */
export async function writeOutput(path: string, text: string, flag: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (err) {
    throw new UsageError(`Cannot write ${flag} ${path}: ${reason(err)}; choose another path`);
  }
}
