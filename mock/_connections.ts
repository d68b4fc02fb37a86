/**
 * Connection accounting for the mock, pure (time is passed in).
 *
 * A connection is identified by the connection itself: the server hands
 * every request an object made once per accepted connection (see
 * `_serve_conns.ts` and `_raw_http1.ts`), and state is kept in a WeakMap on
 * it. Never by the peer's address and port: clients reuse ephemeral ports
 * under churn, so 6,000 fresh connections can arrive from 5,300 distinct
 * ports. A request with no connection object (e.g. `app.request()` in tests
 * without one) counts as an unknown peer.
 *
 * HTTP version: Deno.serve does not expose it either. A connection is
 * taken as HTTP/2 when two requests on it overlap in time (HTTP/1.1 clients
 * do not pipeline) or when a request has no `Host` header (HTTP/1.1 requires
 * one; HTTP/2 clients such as Deno's send `:authority` instead). Anything
 * else counts as HTTP/1.1, so an HTTP/2 client that sends `Host` and never
 * overlaps requests is reported as HTTP/1.1.
 *
 * @module
 */

/** HTTP versions the mock can tell apart. */
export type HttpVersion = "HTTP/1.1" | "HTTP/2";

interface Conn {
  /** Monotonic ms when its setup (handshake) is over. */
  readyAt: number;
  /** Run (stats epoch) its counters belong to. */
  epoch: number;
  /** Requests on it in the current run. */
  requests: number;
  inFlight: number;
  version: HttpVersion;
}

/** What entering a request decided. */
export interface ConnectionEntry {
  /** The connection, `null` when the peer is unknown. */
  key: object | null;
  /** Whether this request opened the connection. */
  isNew: boolean;
  /** How long this request waits for the connection's setup to finish, in ms. */
  setupWaitMs: number;
  version: HttpVersion | null;
}

/** Per-run connection statistics (the `/stats` `connections` object). */
export interface ConnectionStats {
  /** Connections first seen in this run (each paid the setup cost). */
  opened: number;
  /** Distinct connections that carried requests in this run (opened or carried over). */
  seen: number;
  /** `/api` requests whose peer address was unknown (no socket, e.g. `app.request()`). */
  unknown_peer_requests: number;
  requests_per_connection: {
    max: number;
    mean: number | null;
    /** Connections by requests carried: buckets "1", "2", "3-4", "5-8", … */
    histogram: Record<string, number>;
  };
  /** Distinct connections by detected HTTP version. */
  by_http_version: Record<HttpVersion, number>;
  /** Requests by the HTTP version their connection was detected as when they arrived. */
  requests_by_http_version: Record<HttpVersion, number>;
}

function bucketIndex(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

function bucketLabel(i: number): string {
  if (i === 0) return "1";
  if (i === 1) return "2";
  return `${2 ** (i - 1) + 1}-${2 ** i}`;
}

/** Tracks connections across runs and counts them per run. */
export class ConnectionTracker {
  #conns = new WeakMap<object, Conn>();
  #epoch = 0;
  #opened = 0;
  #seen = 0;
  #unknown = 0;
  #requests = 0;
  #max = 0;
  #buckets: number[] = [];
  #versions: Record<HttpVersion, number> = { "HTTP/1.1": 0, "HTTP/2": 0 };
  #requestVersions: Record<HttpVersion, number> = { "HTTP/1.1": 0, "HTTP/2": 0 };

  /**
   * Registers a request arriving at monotonic time `now` on connection
   * `peer` (the server's per-connection object; `null` when unknown). A new connection is ready `setupMs` after its
   * first request arrives; every request on it before then waits the rest.
   * With `setupHeld` the server already held the connection's setup at its
   * handshake (`--setup-at-handshake`): the connection is counted as opened
   * (and charged) the same, but is ready at once.
   */
  enter(
    peer: object | null,
    now: number,
    setupMs: number,
    hasHost: boolean,
    setupHeld = false,
  ): ConnectionEntry {
    if (peer === null) {
      this.#unknown++;
      return { key: null, isNew: false, setupWaitMs: 0, version: null };
    }
    let conn = this.#conns.get(peer);
    const isNew = conn === undefined;
    if (conn === undefined) {
      conn = {
        readyAt: setupHeld ? now : now + setupMs,
        epoch: this.#epoch - 1,
        requests: 0,
        inFlight: 0,
        version: "HTTP/1.1",
      };
      this.#opened++;
      this.#conns.set(peer, conn);
    }
    if (conn.epoch !== this.#epoch) {
      conn.epoch = this.#epoch;
      conn.requests = 0;
      this.#seen++;
      this.#versions[conn.version]++;
    }
    if (conn.version === "HTTP/1.1" && (conn.inFlight > 0 || !hasHost)) {
      this.#versions["HTTP/1.1"]--;
      this.#versions["HTTP/2"]++;
      conn.version = "HTTP/2";
    }
    conn.inFlight++;
    if (conn.requests > 0) this.#bump(bucketIndex(conn.requests), -1);
    conn.requests++;
    this.#bump(bucketIndex(conn.requests), 1);
    this.#requests++;
    this.#requestVersions[conn.version]++;
    if (conn.requests > this.#max) this.#max = conn.requests;
    return {
      key: peer,
      isNew,
      setupWaitMs: Math.max(0, conn.readyAt - now),
      version: conn.version,
    };
  }

  /** Marks a request on `key` as finished. */
  leave(key: object | null): void {
    if (key === null) return;
    const conn = this.#conns.get(key);
    if (conn && conn.inFlight > 0) conn.inFlight--;
  }

  /** Starts a new run: counters restart, known connections stay known (no second setup charge). */
  reset(): void {
    this.#epoch++;
    this.#opened = 0;
    this.#seen = 0;
    this.#unknown = 0;
    this.#requests = 0;
    this.#max = 0;
    this.#buckets = [];
    this.#versions = { "HTTP/1.1": 0, "HTTP/2": 0 };
    this.#requestVersions = { "HTTP/1.1": 0, "HTTP/2": 0 };
  }

  /** The current run's statistics. */
  snapshot(): ConnectionStats {
    const histogram: Record<string, number> = {};
    this.#buckets.forEach((n, i) => {
      if (n > 0) histogram[bucketLabel(i)] = n;
    });
    return {
      opened: this.#opened,
      seen: this.#seen,
      unknown_peer_requests: this.#unknown,
      requests_per_connection: {
        max: this.#max,
        mean: this.#seen === 0 ? null : this.#requests / this.#seen,
        histogram,
      },
      by_http_version: { ...this.#versions },
      requests_by_http_version: { ...this.#requestVersions },
    };
  }

  #bump(i: number, d: number): void {
    while (this.#buckets.length <= i) this.#buckets.push(0);
    this.#buckets[i] = (this.#buckets[i] ?? 0) + d;
  }
}
