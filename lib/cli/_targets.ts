/**
 * `--targets FILE` and `--mix` for `bench` and `suite`: the file and its body
 * files read with a size bound, parsed (`lib/load/targets.ts`), each problem
 * a one-line usage error naming the file and line, and the requests, their
 * names and the fixed request sequence handed back.
 *
 * @module
 */
import type { HttpRequest } from "../client/types.ts";
import {
  entryRequest,
  type MixKind,
  parseTargets,
  type TargetSequence,
  targetSequence,
  type TargetsPick,
} from "../load/targets.ts";
import { Redactor } from "../redact.ts";
import { BoundedReadError, readBounded } from "../read_bounded.ts";
import { type OptionSpecs, str, strs, type Values } from "./_args.ts";
import { reason } from "./_files.ts";
import { checkPermissions, type PermissionHints } from "./_permissions.ts";
import { parseHeader, readCaCert, secretHeaderNames } from "./_request.ts";
import { UsageError } from "./_usage_error.ts";

/** The flags of a targets file. */
export const TARGETS_OPTIONS: OptionSpecs = {
  targets: {
    type: "string",
    arg: "FILE",
    help:
      "Many requests: vegeta http format or JSON lines, with names and weights (docs/workloads.md)",
  },
  mix: {
    type: "string",
    arg: "KIND",
    help:
      "Request order with --targets: round-robin by weight (default) or weighted (seeded draw, --seed)",
  },
};

/** Largest targets file, and largest body file, read. */
export const MAX_TARGETS_BYTES = 64 * 1024 * 1024;
/** Largest total of body bytes held for a run. */
export const MAX_BODY_TOTAL_BYTES = 256 * 1024 * 1024;

/** The requests of a targets file, ready to send. */
export interface Targets {
  file: string;
  format: "jsonl" | "http";
  /** Target names, in order of first appearance. */
  names: string[];
  /** One request per entry of the file. */
  requests: HttpRequest[];
  /** The target name of each entry. */
  entryNames: string[];
  /** The weight of each entry. */
  weights: number[];
  sequence: TargetSequence;
  /** Redacts the secrets of every request. */
  redactor: Redactor;
}

/** `, DIR` naming the working directory, or nothing where it may not be read. */
function cwdText(): string {
  try {
    return `, ${Deno.cwd()}`;
  } catch {
    return "";
  }
}

/**
 * Reads at most `limit` bytes of `path` (a regular file, its size checked
 * before reading; `lib/read_bounded.ts`), as a one-line UsageError naming
 * `what`. A relative path is read from the working directory, which a
 * missing file's message says.
 *
 * @throws {UsageError} when it is missing, unreadable, not a regular file or too large.
 *
 * @example
 * ```ts ignore
 * const bytes = await readInputFile("targets.jsonl", MAX_TARGETS_BYTES, "--targets");
 * ```
 */
export async function readInputFile(
  path: string,
  limit: number,
  what: string,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await readBounded(path, limit);
  } catch (err) {
    if (err instanceof BoundedReadError) {
      throw new UsageError(`Cannot read ${what} ${path}: ${err.message}`);
    }
    const where = err instanceof Deno.errors.NotFound && !path.startsWith("/")
      ? ` (a relative path is read from the working directory${cwdText()})`
      : "";
    throw new UsageError(
      `Cannot read ${what} ${path}: ${reason(err, "read")}${where}; check the path`,
    );
  }
}

/**
 * `--mix`: `round-robin` (default) or `weighted`; refused without `--targets`.
 *
 * @example
 * ```ts
 * import { mixOption } from "./_targets.ts";
 * mixOption({}); // "round-robin"
 * ```
 */
export function mixOption(values: Values): MixKind {
  const m = str(values, "mix");
  if (m === undefined) return "round-robin";
  if (m === "round-robin" || m === "weighted") {
    if (str(values, "targets") === undefined) {
      throw new UsageError("--mix applies to --targets only: add --targets FILE, or drop --mix");
    }
    return m;
  }
  throw new UsageError(`Unknown --mix "${m}": use round-robin or weighted`);
}

/** Flags that describe the one request and cannot combine with a targets file. */
const ONE_REQUEST_FLAGS = ["method", "body", "content-type"];

/**
 * The targets of `--targets FILE`: read permission checked first, the file
 * and every body file read bounded, `-H`/`--secret-header` added to every
 * request, and the sequence fixed from `--mix` and `seed`.
 *
 * @throws {UsageError} for every problem with the file, in one line.
 *
 * @example
 * ```ts ignore
 * const t = await targetsFromFlags({ targets: "targets.jsonl", mix: "weighted" }, 7);
 * t.names; // ["fast", "other", "slow"]
 * ```
 */
export async function targetsFromFlags(
  values: Values,
  seed: number,
  hints: PermissionHints = {},
): Promise<Targets> {
  const file = str(values, "targets")!;
  for (const f of ONE_REQUEST_FLAGS) {
    if (str(values, f) !== undefined) {
      throw new UsageError(
        `Cannot combine --${f} with --targets: each target gives its own; put it in ${file}`,
      );
    }
  }
  const mix = mixOption(values);
  await checkPermissions({ read: [[file, "--targets"]] }, hints);
  const bytes = await readInputFile(file, MAX_TARGETS_BYTES, "--targets");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`Invalid targets file ${file}: it is not UTF-8 text`);
  }
  let parsed;
  try {
    parsed = parseTargets(text, file);
  } catch (err) {
    if (err instanceof SyntaxError) throw new UsageError(err.message);
    throw err;
  }
  const extra = [
    ...strs(values, "header").map((h) => parseHeader(h, "--header")),
    ...strs(values, "secret-header").map((h) => parseHeader(h, "--secret-header")),
  ];
  const bodyFiles = parsed.entries.flatMap((e) =>
    e.body !== null && "file" in e.body ? [[e.body.file, `--targets ${file} body`]] : []
  ) as [string, string][];
  await checkPermissions({ read: bodyFiles }, hints);
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  let total = 0;
  const requests: HttpRequest[] = [];
  for (const e of parsed.entries) {
    let body: Uint8Array<ArrayBuffer> | null = null;
    if (e.body !== null && "file" in e.body) {
      const path = e.body.file;
      let b = cache.get(path);
      if (b === undefined) {
        try {
          b = await readInputFile(path, MAX_TARGETS_BYTES, "body file");
        } catch (err) {
          throw new UsageError(
            `Invalid targets file ${file}, line ${e.line}: ${(err as Error).message}`,
          );
        }
        cache.set(path, b);
      }
      body = b;
    } else if (e.body !== null) body = e.body as Uint8Array<ArrayBuffer>;
    total += body?.byteLength ?? 0;
    if (total > MAX_BODY_TOTAL_BYTES) {
      throw new UsageError(
        `Invalid targets file ${file}, line ${e.line}: the bodies add up to over ${MAX_BODY_TOTAL_BYTES} bytes; use fewer or smaller bodies`,
      );
    }
    const r = entryRequest(e, body);
    requests.push({ ...r, headers: [...r.headers, ...extra] });
  }
  const secretNames = secretHeaderNames(strs(values, "secret-header"));
  const redactor = Redactor.combine(
    requests.map((r) => Redactor.forRequest(r.url, r.headers, secretNames)),
  );
  return {
    file,
    format: parsed.format,
    names: parsed.names,
    requests,
    entryNames: parsed.entries.map((e) => e.name),
    weights: parsed.entries.map((e) => e.weight),
    sequence: targetSequence(parsed.entries.map((e) => e.weight), mix, seed),
    redactor,
  };
}

/**
 * The digest of a whole targets workload: every request (redacted) in file
 * order with its name and weight, the mix and, for a weighted draw, the seed.
 * The sequence is a pure function of these, so two runs with the same digest
 * send the same requests in the same order. One SHA-256 over all of it
 * (a digest per request would cost a call each on a large feed).
 *
 * @example
 * ```ts ignore
 * const digest = await targetsDigest(targets, plan.seed); // 64 hex digits
 * ```
 */
export async function targetsDigest(t: Targets, seed: number): Promise<string> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [
    enc.encode(JSON.stringify([t.sequence.mix, t.sequence.mix === "weighted" ? seed : null])),
  ];
  let size = parts[0]!.byteLength;
  for (let i = 0; i < t.requests.length; i++) {
    const r = t.requests[i]!;
    // Framed as request_digest.ts frames one request: the head, a zero byte, the body.
    const head = enc.encode(
      "\n" + JSON.stringify([
        t.entryNames[i],
        t.weights[i],
        r.method,
        t.redactor.url(r.url),
        t.redactor.headers(r.headers).map(([n, v]) => [n.toLowerCase(), v]),
        r.body?.byteLength ?? -1,
      ]) + "\0",
    );
    parts.push(head);
    size += head.byteLength;
    if (r.body) {
      parts.push(r.body);
      size += r.body.byteLength;
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The request side of a run with `--targets`: the targets, their redactor and the CA. */
export interface TargetsWorkload {
  /** The first target's request (the protocol probe starts there; every origin is probed). */
  request: HttpRequest;
  redactor: Redactor;
  caCerts: string[];
  targets: Targets;
}

/**
 * {@linkcode targetsFromFlags} plus `--ca-cert` (read permission checked
 * first), for `bench` and `suite`.
 *
 * @example
 * ```ts ignore
 * const { request, redactor, caCerts, targets } = await targetsWorkload(values, seed);
 * ```
 */
export async function targetsWorkload(
  values: Values,
  seed: number,
  hints: PermissionHints = {},
): Promise<TargetsWorkload> {
  const targets = await targetsFromFlags(values, seed, hints);
  const ca = str(values, "ca-cert");
  if (ca !== undefined) await checkPermissions({ read: [[ca, "--ca-cert"]] }, hints);
  return {
    request: targets.requests[0]!,
    redactor: targets.redactor,
    caCerts: ca === undefined ? [] : [await readCaCert(ca)],
    targets,
  };
}

/**
 * The request and target name of each run-wide request index, from the fixed sequence.
 *
 * @example
 * ```ts ignore
 * const pick = targetsRun(targets);
 * pick.targetFor(0); // the first target of the sequence
 * ```
 */
export function targetsRun(t: Targets): TargetsPick {
  return {
    requestFor: (k) => t.requests[t.sequence.at(k)]!,
    targetFor: (k) => t.entryNames[t.sequence.at(k)]!,
    names: t.names,
  };
}

/**
 * What the JSON and the sidecar record about the targets (no header or body).
 *
 * @example
 * ```ts ignore
 * targetsConfig(targets); // { file, format: "jsonl", mix: "round-robin", names, requests: 3 }
 * ```
 */
export function targetsConfig(t: Targets): Record<string, unknown> {
  return {
    file: t.file,
    format: t.format,
    mix: t.sequence.mix,
    names: t.names,
    requests: t.requests.length,
  };
}
