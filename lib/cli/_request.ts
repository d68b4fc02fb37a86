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
import { type OptionSpecs, str, strs, type Values } from "./_args.ts";
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
    help: "Request body, or @path to read it from a file",
  },
  "content-type": {
    type: "string",
    arg: "TYPE",
    help: "Content-Type of the body (default application/json with a body)",
  },
  timeout: { type: "string", arg: "DURATION", default: "10s", help: "Per-request timeout" },
  "ca-cert": { type: "string", arg: "FILE.pem", help: "Extra CA certificate (PEM) to trust" },
};

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
      try {
        body = await Deno.readFile(file);
      } catch (err) {
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
    throw new UsageError(`Invalid --method "${values.method}": use GET, POST, PUT, PATCH, DELETE…`);
  }
  return { url: parsed.href, method, headers, body };
}

/** Reads `--ca-cert`: a PEM file with at least one certificate. */
export async function readCaCert(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (err) {
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
  });
  const redactor = Redactor.forRequest(
    request.url,
    request.headers,
    secretHeaderNames(strs(values, "secret-header")),
  );
  return { request, redactor, caCerts: ca === undefined ? [] : [await readCaCert(ca)] };
}
