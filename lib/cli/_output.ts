/** Where human output goes and whether it may be coloured. */

import { dirname } from "../path.ts";
import type { ProgressStream } from "../report/progress.ts";

/** Colour only on a TTY, never with NO_COLOR set (https://no-color.org). */
export function useColor(stream: { isTerminal(): boolean } = Deno.stdout): boolean {
  let noColor: string | undefined;
  try {
    noColor = Deno.env.get("NO_COLOR");
  } catch {
    noColor = undefined; // no env permission: assume unset
  }
  return stream.isTerminal() && (noColor === undefined || noColor === "");
}

/** Writes a JSON file, creating its directory. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const dir = dirname(path);
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

/** Standard error as a {@linkcode ProgressStream} (with the terminal's width). */
export function stderrStream(): ProgressStream {
  return {
    isTerminal: () => Deno.stderr.isTerminal(),
    writeSync: (p) => Deno.stderr.writeSync(p),
    columns: () => Deno.consoleSize().columns,
  };
}
