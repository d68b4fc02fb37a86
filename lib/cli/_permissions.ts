/**
 * Checks, before any request is sent or any file created, that the process
 * holds every permission a command will need, and names the exact flag to
 * add when one is missing. A denied permission is a usage problem (exit 2),
 * never a request error in the results.
 *
 * @module
 */
import { UsageError } from "./_usage_error.ts";

/** What a command is about to do. */
export interface PermissionNeeds {
  /** URLs it will connect to (the target, or a probe of it). */
  net?: readonly string[];
  /** Host names it will listen on (e.g. the mock on 127.0.0.1). */
  listen?: readonly string[];
  /** Files it will read: a path, or [path, the flag that named it]. */
  read?: readonly (string | readonly [string, string])[];
  /** Files it will create or overwrite: a path, or [path, the flag that named it]. */
  write?: readonly (string | readonly [string, string])[];
}

/** `[path, "--out "]` for a labelled entry, `[path, ""]` for a bare path. */
function labelled(entry: string | readonly [string, string]): [string, string] {
  if (typeof entry === "string") return [entry, ""];
  return [entry[0], entry[1].endsWith("@") ? entry[1] : `${entry[1]} `];
}

/** How to run the command through a deno task that grants more, if any does. */
export interface PermissionHints {
  /** e.g. `deno task bench`: named after "or run through". */
  task?: string;
}

/**
 * The `host:port` that Deno's net permission names for `url` (default ports
 * filled in, IPv6 in brackets).
 *
 * @example
 * ```ts
 * import { netHost } from "./_permissions.ts";
 * netHost("https://api.example.com/v1"); // "api.example.com:443"
 * netHost("http://[::1]:8080/"); // "[::1]:8080"
 * ```
 */
export function netHost(url: string): string {
  const u = new URL(url);
  const port = u.port !== "" ? u.port : u.protocol === "https:" ? "443" : "80";
  return `${u.hostname}:${port}`;
}

/** The directory to suggest for a write grant: the file's folder, or the file itself. */
function writeScope(path: string): string {
  const i = path.lastIndexOf("/");
  return i > 0 ? path.slice(0, i) : path;
}

async function granted(desc: Deno.PermissionDescriptor): Promise<boolean> {
  return (await Deno.permissions.query(desc)).state === "granted";
}

/**
 * Throws a {@linkcode UsageError} naming the first missing permission and the
 * flag that grants it, e.g. `No network permission for 127.0.0.2:8081: add
 * --allow-net=127.0.0.2:8081 (or run through deno task bench)`.
 *
 * @example
 * ```ts ignore
 * import { checkPermissions } from "./_permissions.ts";
 * await checkPermissions({ net: ["http://127.0.0.2:8081/"], write: ["results/run.csv"] },
 *   { task: "deno task bench" });
 * ```
 */
export async function checkPermissions(
  needs: PermissionNeeds,
  hints: PermissionHints = {},
): Promise<void> {
  const or = hints.task ? ` (or run through ${hints.task})` : "";
  // The tasks grant reading the project directory and writing results/ only.
  const inProject = (p: string) => !p.startsWith("/") && !p.startsWith("..") ? or : "";
  // Outside the project no task can read it, and a flag after "deno task bench" is not Deno's.
  const outsideTask = (p: string) =>
    hints.task && inProject(p) === ""
      ? ` (with deno run; ${hints.task} reads only this directory: copy the file under it, or run the installed tailgate)`
      : "";
  const inResults = (p: string) => /^(\.\/)?results(\/|$)/.test(p) ? or : "";
  // Every host not granted is named at once (a targets file can reach many).
  const missing: string[] = [];
  for (const host of new Set((needs.net ?? []).map(netHost))) {
    if (!await granted({ name: "net", host })) missing.push(host);
  }
  if (missing.length > 0) {
    throw new UsageError(
      `No network permission for ${missing.join(", ")}: add --allow-net=${missing.join(",")}${or}`,
    );
  }
  for (const hostname of needs.listen ?? []) {
    if (!await granted({ name: "net", host: hostname })) {
      throw new UsageError(
        `No network permission to serve on ${hostname}: add --allow-net=${hostname}${or}`,
      );
    }
  }
  for (const [path, flag] of (needs.read ?? []).map(labelled)) {
    if (!await granted({ name: "read", path })) {
      throw new UsageError(
        `No read permission for ${flag}${path}: add --allow-read=${path}${
          inProject(path) || outsideTask(path)
        }`,
      );
    }
  }
  for (const [path, flag] of (needs.write ?? []).map(labelled)) {
    if (!await granted({ name: "write", path })) {
      if (hints.task && inResults(path) === "") {
        // The task's permissions are fixed: a flag added after "deno task bench" is not Deno's.
        throw new UsageError(
          `No write permission for ${flag}${path}: write under results/ (all ${hints.task} may write), run the installed tailgate, or use deno run with --allow-write=${
            writeScope(path)
          }`,
        );
      }
      throw new UsageError(
        `No write permission for ${flag}${path}: add --allow-write=${writeScope(path)}${
          inResults(path)
        }`,
      );
    }
    // An output is looked at before it is written (is it a directory, one of the inputs?).
    if (!await granted({ name: "read", path })) {
      throw new UsageError(
        `No read permission for ${flag}${path}: add --allow-read=${
          writeScope(path)
        } (an output is checked before it is overwritten)`,
      );
    }
  }
}

/**
 * Whether `err` is a denied permission (which is never a request outcome).
 *
 * @example
 * ```ts
 * import { isPermissionError } from "./_permissions.ts";
 * isPermissionError(new Deno.errors.NotCapable("Requires net access")); // true
 * ```
 */
export function isPermissionError(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied;
}

const FLAGS: Record<string, [string, string]> = {
  net: ["network", "--allow-net"],
  read: ["read", "--allow-read"],
  write: ["write", "--allow-write"],
  env: ["environment", "--allow-env"],
  run: ["subprocess", "--allow-run"],
  sys: ["system information", "--allow-sys"],
};

/**
 * A denied permission that escaped the checks (a redirect to another host,
 * say) as one line naming the flag, from Deno's own message.
 *
 * @example
 * ```ts
 * import { permissionMessage } from "./_permissions.ts";
 * permissionMessage(new Deno.errors.NotCapable(
 *   'Requires net access to "127.0.0.2:8081", run again with the --allow-net flag',
 * )); // "No network permission for 127.0.0.2:8081: add --allow-net=127.0.0.2:8081"
 * ```
 */
export function permissionMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const m = /Requires (\w+) access to "([^"]+)"/.exec(text);
  const flag = m ? FLAGS[m[1]!] : undefined;
  if (m && flag) return `No ${flag[0]} permission for ${m[2]}: add ${flag[1]}=${m[2]}`;
  const generic = /(--allow-[a-z-]+)/.exec(text)?.[1];
  return `${text.split("\n")[0]}${generic ? "" : ": grant that permission"}`;
}

/**
 * The paths given to file flags, labelled with their flag, for
 * {@linkcode checkPermissions} (flags not given are left out).
 *
 * @example
 * ```ts
 * import { flaggedPaths } from "./_permissions.ts";
 * flaggedPaths({ html: "r.html" }, ["html", "junit"]); // [["r.html", "--html"]]
 * ```
 */
export function flaggedPaths(
  values: Record<string, unknown>,
  flags: readonly string[],
): [string, string][] {
  return flags.flatMap((f) => {
    const v = values[f];
    return typeof v === "string" ? [[v, `--${f}`] as [string, string]] : [];
  });
}
