/**
 * The mock's `/stats` read and reset over a client of its own, so control
 * requests never share a connection with the clients being measured.
 *
 * @module
 */
import type { MockStats } from "../stats/mock_stats.ts";

/**
 * Reads (`stats()`) and resets (`reset()`, which returns the stats of the
 * run it ends) the mock at `base`.
 *
 * @example
 * ```ts ignore
 * const control = new MockControl(server.url);
 * await control.reset();
 * const stats = await control.stats();
 * control.close();
 * ```
 */
export class MockControl {
  #base: string;
  #client = Deno.createHttpClient({});

  constructor(base: string) {
    this.#base = base;
  }

  /** The mock's cumulative stats of the current run. */
  async stats(): Promise<MockStats> {
    return await (await fetch(new URL("/stats", this.#base), { client: this.#client })).json();
  }

  /** Ends the mock's current run and returns its stats. */
  async reset(): Promise<MockStats> {
    const res = await fetch(new URL("/stats/reset", this.#base), {
      method: "POST",
      client: this.#client,
    });
    return await res.json();
  }

  close(): void {
    this.#client.close();
  }
}
