/**
 * Test and bench helper: an RSS watchdog for a child process. Deno reads
 * /proc only with --allow-all, so a `cat` child reads the peak resident
 * memory (VmHWM) every 10 ms; the process is killed (SIGKILL) once it
 * passes the cap or the time limit, so a read without a bound cannot take
 * the machine's memory.
 */

/** What {@linkcode watchPeakRss} saw. */
export interface RssWatch {
  output: Deno.CommandOutput;
  /** The highest VmHWM read, in KiB. */
  peakKb: number;
  /** Whether the watchdog killed the process. */
  killed: boolean;
}

/**
 * Watches `child` (spawned with piped or null stdio) until it exits, killing
 * it past `capMb` MiB of peak RSS or after `limitMs`.
 *
 * @example
 * ```ts ignore
 * const child = new Deno.Command("deno", { args, stdout: "null", stderr: "piped" }).spawn();
 * const { output, peakKb, killed } = await watchPeakRss(child, 256, 20_000);
 * ```
 */
export async function watchPeakRss(
  child: Deno.ChildProcess,
  capMb: number,
  limitMs: number,
): Promise<RssWatch> {
  const started = performance.now();
  let done = false;
  const output = child.output().finally(() => done = true);
  let peakKb = 0;
  let killed = false;
  // Bounded: the child exits, or is killed at the cap or after limitMs.
  while (!done) {
    const cat = await new Deno.Command("cat", {
      args: [`/proc/${child.pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const kb = Number(/VmHWM:\s+(\d+)/.exec(new TextDecoder().decode(cat.stdout))?.[1] ?? 0);
    peakKb = Math.max(peakKb, kb);
    if (!done && !killed && (peakKb > capMb * 1024 || performance.now() - started > limitMs)) {
      killed = true;
      child.kill("SIGKILL");
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { output: await output, peakKb, killed };
}
