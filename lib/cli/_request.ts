/**
 * The request `bench` sends, built from its flags: URL, method, headers,
 * body and the CA certificate, each validated into a one-line usage error.
 *
 * @module
 */
import type { HttpRequest } from "../client/types.ts";
import { redactUrl } from "../redact.ts";
import { reason } from "./_files.ts";
import { UsageError } from "./_usage_error.ts";
import {
  byteSizeOption,
  MAX_BODY_CAP,
  type OptionSpecs,
  quoted,
  str,
  strs,
  type Values,
} from "./_args.ts";
import { BoundedReadError, formatBytes, readBounded } from "../read_bounded.ts";
import { checkPermissions, type PermissionHints } from "./_permissions.ts";
import { Redactor } from "../redact.ts";

/** The request flags `bench` and `suite <url>` share: method, headers, body, timeout, CA. */
export const REQUEST_OPTIONS: OptionSpecs = {
  method: {
    type: "string",
    short: "m",
    arg: "METHOD",
    help: "HTTP method (default GET, or POST with --body)",
  },
  header: {
    type: "string",
    short: "H",
    multiple: true,
    arg: '"Name: value"',
    help: "Request header (repeatable)",
  },
  "secret-header": {
    type: "string",
    multiple: true,
    arg: '"Name: value"',
    help: "Request header whose value is never written anywhere (repeatable)",
  },
  body: {
    type: "string",
    arg: "TEXT|@FILE",
    help: "Request body, or @path to read it from a regular file (at most --max-body)",
  },
  "max-body": {
    type: "string",
    arg: "SIZE",
    help: "Largest --body @FILE read into memory, e.g. 256MiB (default 64MiB, at most 1GiB)",
  },
  "content-type": {
    type: "string",
    arg: "TYPE",
    help: "Content-Type of the body (default application/json with a body)",
  },
  timeout: { type: "string", arg: "DURATION", default: "10s", help: "Per-request timeout" },
  "ca-cert": {
    type: "string",
    arg: "FILE.pem",
    help: "Extra CA certificate (PEM, at most 1 MiB) to trust",
  },
};

/** The default `--max-body`: 64 MiB. */
export const DEFAULT_MAX_BODY = 64 << 20;
/** The largest `--ca-cert` bundle read: 1 MiB. */
export const MAX_CA_CERT = 1 << 20;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Names a malformed header in an error without its value: only a leading
 * header-name token followed by a separator is shown, else nothing.
 */
function headerHint(h: string, flag: string): string {
  const t = h.trim();
  const name = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(t)?.[0] ?? "";
  if (name === "" || name === t || !/^[\s:]/.test(t.slice(name.length))) return flag;
  return `${flag} "${name.length > 40 ? `${name.slice(0, 40)}…` : name} …"`;
}

/** Splits and checks one `Name: value` header. */
export function parseHeader(h: string, flag: string): [string, string] {
  const i = h.indexOf(":");
  const name = i > 0 ? h.slice(0, i).trim() : "";
  if (!TOKEN.test(name)) {
    throw new UsageError(
      `Malformed ${
        headerHint(h, flag)
      }: write it as "Name: value", e.g. -H "Accept: application/json"`,
    );
  }
  const value = h.slice(i + 1).trim();
  if (/[\r\n\0]/.test(value)) {
    throw new UsageError(`Malformed ${flag} "${name}": the value contains a line break`);
  }
  if (/[^\t\x20-\x7e]/.test(value)) {
    throw new UsageError(
      `Malformed ${flag} "${name}": the value has a non-ASCII or control character, which HTTP headers cannot carry; percent-encode it (e.g. %E2%9C%93) or use ASCII`,
    );
  }
  return [name, value];
}

/** The lower-cased names of the `--secret-header` values. */
export function secretHeaderNames(secretHeaders: readonly string[]): Set<string> {
  return new Set(secretHeaders.map((h) => parseHeader(h, "--secret-header")[0].toLowerCase()));
}

/** Builds the request, validating URL, method, headers and body. */
export async function buildRequest(
  url: string,
  values: {
    method?: string | undefined;
    headers: string[];
    secretHeaders?: string[];
    body?: string | undefined;
    contentType?: string | undefined;
    /** Largest `@FILE` body in bytes (default {@linkcode DEFAULT_MAX_BODY}). */
    maxBody?: number | undefined;
  },
): Promise<HttpRequest> {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url.trim())) {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": it has no scheme; write it in full, e.g. http://${
        redactUrl(url).replace(/^\/+/, "") || "127.0.0.1:8080/api"
      }`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": give a full URL such as http://127.0.0.1:8080/api`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(
      `Unsupported scheme "${parsed.protocol}" in the URL: use http:// or https://`,
    );
  }
  if (parsed.hostname === "") {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": it has no host; e.g. http://127.0.0.1:8080/api`,
    );
  }
  if (parsed.port === "0") {
    throw new UsageError(
      `Invalid URL "${redactUrl(url)}": port 0 cannot be connected to; give the server's port`,
    );
  }
  // A fragment is never sent (RFC 9110 §4.2.4) and may carry a token (#access_token=…):
  // dropped here, so no output ever shows it.
  parsed.hash = "";
  const headers: [string, string][] = [
    ...values.headers.map((h) => parseHeader(h, "--header")),
    ...(values.secretHeaders ?? []).map((h) => parseHeader(h, "--secret-header")),
  ];
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (values.body !== undefined) {
    if (values.body.startsWith("@")) {
      const file = values.body.slice(1);
      if (file === "") {
        throw new UsageError("Missing file name after --body @: e.g. --body @req.json");
      }
      const limit = values.maxBody ?? DEFAULT_MAX_BODY;
      try {
        body = await readBounded(file, limit);
      } catch (err) {
        if (err instanceof BoundedReadError) {
          throw new UsageError(
            `Cannot use body file "${file}": ${err.message}; ${
              err.problem === "too-large"
                ? `raise --max-body (at most ${formatBytes(MAX_BODY_CAP)}) or send a smaller file`
                : "give a regular file after @"
            }`,
          );
        }
        throw new UsageError(
          `Cannot read body file "${file}": ${reason(err, "read")}; check the path after @`,
        );
      }
    } else {
      body = new TextEncoder().encode(values.body);
    }
  }
  if (values.contentType !== undefined) {
    if (
      !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/.test(
        values.contentType,
      )
    ) {
      throw new UsageError(
        `Invalid --content-type "${values.contentType}": use a media type such as application/json`,
      );
    }
    headers.push(["content-type", values.contentType]);
  } else if (body && !headers.some(([n]) => n.toLowerCase() === "content-type")) {
    headers.push(["content-type", "application/json"]);
  }
  const method = (values.method ?? (body ? "POST" : "GET")).toUpperCase();
  if (!TOKEN.test(method)) {
    throw new UsageError(
      `Invalid --method ${quoted(values.method ?? "")}: use GET, POST, PUT, PATCH, DELETE…`,
    );
  }
  return { url: moveCredentials(parsed, headers), method, headers, body };
}

/**
 * A URL's user name and password become an `Authorization: Basic` header
 * (RFC 7617: both percent-decoded, UTF-8, base64), unless `headers` already
 * has an Authorization header, which then wins; either way the URL is sent
 * without them. Every profile then sends the same request: `fetch` would add
 * its own header next to the user's, the raw engines none. Returns the URL
 * without credentials; `headers` gains the header.
 */
function moveCredentials(url: URL, headers: [string, string][]): string {
  if (url.username === "" && url.password === "") return url.href;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const pair = new TextEncoder().encode(`${decode(url.username)}:${decode(url.password)}`);
  if (!headers.some(([n]) => n.toLowerCase() === "authorization")) {
    headers.push(["Authorization", `Basic ${btoa(String.fromCharCode(...pair))}`]);
  }
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  return bare.href;
}

/** Reads `--ca-cert`: a regular PEM file of at most 1 MiB with at least one certificate. */
export async function readCaCert(path: string): Promise<string> {
  let pem: string;
  try {
    pem = new TextDecoder().decode(await readBounded(path, MAX_CA_CERT));
  } catch (err) {
    if (err instanceof BoundedReadError) {
      throw new UsageError(
        `Cannot use --ca-cert ${path}: ${err.message}; give a PEM file of CA certificates${
          err.problem === "too-large" ? ` (a bundle is at most ${formatBytes(MAX_CA_CERT)})` : ""
        }`,
      );
    }
    throw new UsageError(`Cannot read --ca-cert ${path}: ${reason(err, "read")}; give a PEM file`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(
      `Invalid --ca-cert ${path}: no "-----BEGIN CERTIFICATE-----" block; give a PEM certificate`,
    );
  }
  return pem;
}

/** A request built from the flags, with its redaction and CA certificates. */
export interface FlaggedRequest {
  request: HttpRequest;
  redactor: Redactor;
  caCerts: string[];
}

/**
 * The request of `bench <url>` and `suite <url>` from their flags: checks
 * the read permission of `--body @FILE` and `--ca-cert` first (naming the
 * flag to add), then builds and validates the request and its redactor.
 */
export async function requestFromFlags(
  url: string,
  values: Values,
  hints: PermissionHints = {},
): Promise<FlaggedRequest> {
  const bodyArg = str(values, "body");
  const ca = str(values, "ca-cert");
  const maxBodyText = str(values, "max-body");
  const maxBody = maxBodyText === undefined
    ? DEFAULT_MAX_BODY
    : byteSizeOption("--max-body", maxBodyText, MAX_BODY_CAP);
  await checkPermissions({
    read: [
      ...(bodyArg?.startsWith("@") && bodyArg.length > 1 ? [[bodyArg.slice(1), "--body @"]] : []),
      ...(ca === undefined ? [] : [[ca, "--ca-cert"]]),
    ] as [string, string][],
  }, hints);
  const request = await buildRequest(url, {
    method: str(values, "method"),
    headers: strs(values, "header"),
    secretHeaders: strs(values, "secret-header"),
    body: bodyArg,
    contentType: str(values, "content-type"),
    maxBody,
  });
  // The URL as typed, not request.url: its credentials (moved into a header) and its
  // fragment (dropped from the request) stay masked too.
  const redactor = Redactor.forRequest(
    url,
    request.headers,
    secretHeaderNames(strs(values, "secret-header")),
  );
  return { request, redactor, caCerts: ca === undefined ? [] : [await readCaCert(ca)] };
}
