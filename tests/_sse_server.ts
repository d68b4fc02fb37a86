/**
 * Test helper: a small OpenAI-style streaming endpoint, bound to 127.0.0.2
 * by default. `POST /v1/chat/completions` answers at once with its headers
 * (`text/event-stream`), then sends the first `data:` event after a seeded
 * lognormal delay (median 120 ms, sigma 0.5: P95 about 275 ms), four more
 * tokens 5 ms apart, and `data: [DONE]`. The server measures each first-token
 * delay itself (from the handler's start to the first event handed to the
 * stream) and keeps them: `firstTokenMs()` in a test, `GET /delays` (JSON)
 * from another process. Any other path answers 404.
 *
 * As a program: `deno run --allow-net=127.0.0.2 tests/_sse_server.ts PORT SEED`
 * serves until SIGINT/SIGTERM (at most ten minutes), then prints the number
 * of streams and the P50/P95 of its first-token delays.
 *
 * @module
 */
import { createRng } from "../lib/rng.ts";

/** Options of {@linkcode startSseServer}. */
export interface SseServerOptions {
  /** Default 127.0.0.2. */
  hostname?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Seed of the delay draws (default 1). */
  seed?: number;
  /** Median first-token delay in ms (default 120). */
  medianMs?: number;
  /** Log-space standard deviation of the delay (default 0.5). */
  sigma?: number;
  /** Tokens after the first one (default 4), `gapMs` apart (default 5). */
  tokens?: number;
  gapMs?: number;
  /** PEM certificate and key: serve HTTPS. */
  cert?: string;
  key?: string;
}

/** A running streaming server. */
export interface SseServer {
  /** e.g. `http://127.0.0.2:41234` (no trailing slash). */
  url: string;
  port: number;
  /** First-token delays measured by the server, in ms, in the order the requests arrived (those sent so far). */
  firstTokenMs(): number[];
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function event(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

/**
 * Starts the streaming server (see the module doc).
 *
 * @example
 * ```ts ignore
 * import { startSseServer } from "./_sse_server.ts";
 * const sse = await startSseServer({ seed: 7 });
 * // POST `${sse.url}/v1/chat/completions` ...
 * await sse.close();
 * ```
 */
export function startSseServer(options: SseServerOptions = {}): Promise<SseServer> {
  const rng = createRng(options.seed ?? 1);
  const median = options.medianMs ?? 120;
  const sigma = options.sigma ?? 0.5;
  const tokens = options.tokens ?? 4;
  const gap = options.gapMs ?? 5;
  const delays: number[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const ac = new AbortController();
  const handler = async (req: Request): Promise<Response> => {
    const t0 = performance.now();
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/delays") {
      return Response.json({ firstTokenMs: delays.filter((d) => !Number.isNaN(d)) });
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return new Response("not found\n", { status: 404 });
    }
    await req.arrayBuffer();
    const delay = median * Math.exp(sigma * rng.normal());
    const slot = delays.length;
    delays.push(NaN);
    let cancelled = false;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let sent = 0;
        const later = (ms: number, f: () => void) => {
          const id = setTimeout(() => {
            timers.delete(id);
            f();
          }, ms);
          timers.add(id);
          pending = id;
        };
        const token = () => {
          if (cancelled) return;
          if (sent === 0) delays[slot] = performance.now() - t0;
          controller.enqueue(
            event(JSON.stringify({ choices: [{ index: 0, delta: { content: `tok${sent}` } }] })),
          );
          sent++;
          if (sent <= tokens) return later(gap, token);
          controller.enqueue(event("[DONE]"));
          controller.close();
        };
        later(Math.max(0, delay - (performance.now() - t0)), token);
      },
      // A client that goes away mid-stream (Ctrl-C, a timeout, `curl | head`): stop its tokens.
      // Enqueueing on the cancelled stream threw from a timer and killed the whole server.
      cancel() {
        cancelled = true;
        if (pending !== undefined) {
          clearTimeout(pending);
          timers.delete(pending);
        }
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  };
  return new Promise((resolve) => {
    const serveOptions = {
      hostname: options.hostname ?? "127.0.0.2",
      port: options.port ?? 0,
      signal: ac.signal,
      onListen: () => {},
    };
    const server = options.cert !== undefined && options.key !== undefined
      ? Deno.serve({ ...serveOptions, cert: options.cert, key: options.key }, handler)
      : Deno.serve(serveOptions, handler);
    const scheme = options.cert !== undefined ? "https" : "http";
    const port = server.addr.port;
    resolve({
      url: `${scheme}://${serveOptions.hostname}:${port}`,
      port,
      firstTokenMs: () => delays.filter((d) => !Number.isNaN(d)),
      close: async () => {
        for (const id of timers) clearTimeout(id);
        timers.clear();
        ac.abort();
        await server.finished;
      },
    });
  });
}

/** Nearest-rank percentile of `values` (`p` in 0..100). */
export function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? "0");
  const seed = Number(Deno.args[1] ?? "1");
  if (!Number.isInteger(port) || port < 0 || !Number.isInteger(seed)) {
    console.error("Usage: deno run --allow-net=127.0.0.2 tests/_sse_server.ts PORT SEED");
    Deno.exit(2);
  }
  const sse = await startSseServer({ port, seed });
  console.log(`listening on ${sse.url}/v1/chat/completions (seed ${seed})`);
  const done = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGINT", () => done.resolve());
  Deno.addSignalListener("SIGTERM", () => done.resolve());
  const bound = setTimeout(() => done.resolve(), 600_000);
  await done.promise;
  clearTimeout(bound);
  const d = sse.firstTokenMs();
  console.log(
    `streams: ${d.length}; first-token delay P50 ${nearestRank(d, 50).toFixed(3)} ms, P95 ${
      nearestRank(d, 95).toFixed(3)
    } ms`,
  );
  await sse.close();
  Deno.exit(0);
}
