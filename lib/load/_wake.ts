/**
 * Short yields for the open-model pacer's last stretch before a due time.
 *
 * JavaScript timers wake up to a millisecond late, so the pacer sleeps on a
 * timer until shortly before a request is due and then yields until it is.
 * How it yields matters in Deno: a `MessageChannel` or `setImmediate` loop
 * is served before network I/O is polled, so a pacer yielding that way
 * starves its own requests (measured: 37 and 3,300 loopback round trips per
 * second while yielding, against 17,000 idle). A yield that waits for a byte
 * on a loopback socket pair goes through the same I/O poll as the requests:
 * they keep flowing (13,000 round trips per second while yielding) and the
 * pacer wakes every 20–130 µs. This is a private wake-up device, not
 * network traffic to any target; it needs `--allow-net` for 127.0.0.1.
 * Without it, a tiny `crypto.subtle.digest` serves (an async op finished off
 * the JavaScript thread, so I/O is polled too: p50 about 10 µs here).
 *
 * @module
 */

/** A way to give the event loop one turn and come back within microseconds. */
export interface Yielder {
  /** `socket` (loopback self-pipe) or `digest` (a tiny async digest, when 127.0.0.1 is not allowed). */
  readonly kind: "socket" | "digest";
  yield(): Promise<void>;
  /** Releases the sockets. Idempotent. */
  close(): void;
}

async function socketYielder(): Promise<Yielder | null> {
  const allowed = await Deno.permissions.query({ name: "net", host: "127.0.0.1" });
  if (allowed.state !== "granted") return null;
  let listener: Deno.Listener | null = null;
  let a: Deno.TcpConn | null = null;
  let b: Deno.TcpConn | null = null;
  try {
    listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    a = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
    b = await accepted as Deno.TcpConn;
    a.setNoDelay(true);
    b.setNoDelay(true);
  } catch {
    a?.close();
    b?.close();
    return null;
  } finally {
    listener?.close();
  }
  const writer = a;
  const reader = b;
  const one = new Uint8Array(1);
  const sink = new Uint8Array(256);
  let closed = false;
  return {
    kind: "socket",
    async yield() {
      if (closed) return;
      try {
        await writer.write(one);
        await reader.read(sink);
      } catch {
        // Closed under us at the end of a run: nothing to wait for.
      }
    },
    close() {
      if (closed) return;
      closed = true;
      writer.close();
      reader.close();
    },
  };
}

const TINY = new Uint8Array(1);

function digestYielder(): Yielder {
  return {
    kind: "digest",
    // An async op that completes off the JavaScript thread: the event loop polls I/O
    // before it resumes, as with the socket pair, and it needs no permission.
    yield: () => crypto.subtle.digest("SHA-1", TINY).then(() => {}),
    close() {},
  };
}

/**
 * Creates the best yielder the permissions allow.
 *
 * @example
 * ```ts ignore
 * import { createYielder } from "./_wake.ts";
 * const y = await createYielder();
 * await y.yield();
 * y.close();
 * ```
 */
export async function createYielder(): Promise<Yielder> {
  return (await socketYielder()) ?? digestYielder();
}
