/**
 * Runs a command under a resident-memory cap and reports its exit code,
 * wall time and peak RSS (VmHWM). A command past the cap, or past 60 s, is
 * killed, so a read without a bound cannot take the machine's memory
 * (`prlimit --as` cannot do this: V8 reserves far more address space than
 * it uses, and Deno does not start under any cap below 64 GiB).
 *
 * Usage: deno run --allow-run=cat,<cmd> bench/rss_cap.ts CAP_MB -- CMD [ARGS…]
 *
 * @example
 * ```sh
 * deno run --allow-run=cat,deno bench/rss_cap.ts 2048 -- \
 *   deno run -A main.ts bench http://127.0.0.1:9/ -n 2 --body @/dev/zero --no-csv
 * # exit=2 killed=false time=0.18s peak_rss=53MB
 * ```
 *
 * @module
 */
import { watchPeakRss } from "../tests/_rss_watch.ts";

const [capText, dashes, cmd, ...args] = Deno.args;
const capMb = Number(capText);
if (!(capMb > 0) || dashes !== "--" || cmd === undefined) {
  console.error("Usage: deno run --allow-run=cat,<cmd> bench/rss_cap.ts CAP_MB -- CMD [ARGS…]");
  Deno.exit(2);
}

const started = performance.now();
const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped", stdin: "null" })
  .spawn();
const { output: out, peakKb, killed } = await watchPeakRss(child, capMb, 60_000);
const seconds = (performance.now() - started) / 1000;
const firstLine = new TextDecoder().decode(out.stderr).trim().split("\n")[0] ?? "";
console.log(
  `exit=${out.signal ? `killed(${out.signal})` : out.code} killed=${killed} time=${
    seconds.toFixed(2)
  }s peak_rss=${Math.round(peakKb / 1024)}MB${firstLine ? ` stderr: ${firstLine}` : ""}`,
);
