/**
 * Test helper: a server on 127.0.0.2 with three endpoints, one slow —
 * `/fast` and `/other` answer at once, `/slow` after `slowMs` — that logs
 * each request it receives (method, path, body) in arrival order.
 */

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  body: string;
}

/** A running targets server. */
export interface TargetsServer {
  /** Base URL, e.g. `http://127.0.0.2:40123`. */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.2, on a free port. */
export function startTargetsServer(slowMs = 60): TargetsServer {
  const seen: SeenRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.2", port: 0, onListen: () => {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      const body = await req.text();
      seen.push({ method: req.method, path, body });
      if (path === "/slow") await new Promise((r) => setTimeout(r, slowMs));
      if (path !== "/fast" && path !== "/other" && path !== "/slow") {
        return new Response("not found", { status: 404 });
      }
      return new Response(`ok ${path}`);
    },
  );
  return {
    url: `http://127.0.0.2:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** Serves until killed (for trying by hand): `deno run --allow-net=127.0.0.2 tests/_targets_server.ts`. */
if (import.meta.main) {
  const s = startTargetsServer(Number(Deno.args[0] ?? 60));
  console.log(s.url);
}
