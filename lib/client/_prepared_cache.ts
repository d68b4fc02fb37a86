/**
 * The raw engines encode a request once (head bytes, target) and reuse the
 * encoding: by object identity, and by content for small requests (a caller
 * that builds an equal request each time still hits the cache).
 *
 * @module
 */
import type { HttpRequest } from "./types.ts";

/** Requests larger than this (body bytes) are cached by identity only. */
const MAX_KEYED_BODY = 1024;

function cacheKey(req: HttpRequest): string | null {
  if (req.body !== null && req.body.byteLength > MAX_KEYED_BODY) return null;
  let key = req.method + " " + req.url;
  for (const [n, v] of req.headers) key += "\n" + n + ": " + v;
  if (req.body !== null) {
    key += "\n\n";
    for (const b of req.body) key += String.fromCharCode(b);
  }
  return key;
}

/**
 * A cache of prepared requests; the content-keyed part holds at most `max`
 * entries (cleared when full).
 *
 * @example
 * ```ts
 * import { PreparedCache } from "./_prepared_cache.ts";
 * let built = 0;
 * const cache = new PreparedCache((r) => (built++, r.url.length));
 * const req = () => ({ url: "http://127.0.0.1/", method: "GET", headers: [], body: null });
 * cache.get(req());
 * cache.get(req());
 * built; // 1
 * ```
 */
export class PreparedCache<P> {
  #prepare: (req: HttpRequest) => P;
  #max: number;
  #byObject = new WeakMap<HttpRequest, P>();
  #byFields = new Map<string, P>();
  /** The last request asked for: a load loop usually sends one request object over and over. */
  #lastReq: HttpRequest | null = null;
  #lastP: P | undefined = undefined;

  /** Prepares with `prepare` (which may throw), keeping at most `max` content-keyed entries. */
  constructor(prepare: (req: HttpRequest) => P, max = 256) {
    this.#prepare = prepare;
    this.#max = max;
  }

  /** The prepared form of `req`, from the cache or newly built. */
  get(req: HttpRequest): P {
    if (req === this.#lastReq) return this.#lastP as P;
    let p = this.#byObject.get(req);
    if (p !== undefined) return this.#remember(req, p);
    const key = cacheKey(req);
    p = key === null ? undefined : this.#byFields.get(key);
    if (p === undefined) {
      p = this.#prepare(req);
      if (key !== null) {
        if (this.#byFields.size >= this.#max) this.#byFields.clear();
        this.#byFields.set(key, p);
      }
    }
    this.#byObject.set(req, p);
    return this.#remember(req, p);
  }

  #remember(req: HttpRequest, p: P): P {
    this.#lastReq = req;
    this.#lastP = p;
    return p;
  }
}

/** The host a connection goes to; `key` names its pool. */
export interface Target {
  key: string;
  hostname: string;
  port: number;
  tls: boolean;
}

/**
 * Parses and checks a request URL for a raw engine: http or https, no
 * credentials. The hostname loses the brackets of an IPv6 literal.
 *
 * @throws {TypeError} naming the engine, for another scheme or a URL with credentials.
 *
 * @example
 * ```ts
 * import { urlTarget } from "./_prepared_cache.ts";
 * urlTarget("https://[::1]/api", "fast").target.key; // "s::1:443"
 * ```
 */
export function urlTarget(href: string, engine: string): { url: URL; target: Target } {
  const url = new URL(href);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `Cannot send with the ${engine} client: unsupported URL scheme "${url.protocol}"`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(
      `Cannot send with the ${engine} client: credentials in the URL are not supported`,
    );
  }
  const tls = url.protocol === "https:";
  const port = url.port === "" ? (tls ? 443 : 80) : Number(url.port);
  let hostname = url.hostname;
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  return { url, target: { key: `${tls ? "s" : ""}${hostname}:${port}`, hostname, port, tls } };
}
