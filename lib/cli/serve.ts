/** `tailgate serve`: the mock inference API on loopback. */
import { serveMock } from "./_mock_flags.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs, positiveInt, str } from "./_args.ts";
import { MOCK_OPTIONS, mockConfigFromValues } from "./_mock_flags.ts";
import { UsageError } from "./_usage_error.ts";

const OPTIONS: OptionSpecs = {
  port: {
    type: "string",
    short: "p",
    arg: "PORT",
    default: "8080",
    help: "Port (0 picks a free one)",
  },
  hostname: {
    type: "string",
    arg: "HOST",
    default: "127.0.0.1",
    help: "Address to bind (loopback only unless --public)",
  },
  public: { type: "boolean", help: "Allow a non-loopback address (disables /admin)" },
  raw: {
    type: "boolean",
    help: "Serve over the raw HTTP/1.1 transport (needed for --malformed-rate and true resets)",
  },
  cert: { type: "string", arg: "FILE", help: "TLS certificate (PEM) to serve HTTPS" },
  key: { type: "string", arg: "FILE", help: "TLS private key (PEM)" },
  "setup-at-handshake": {
    type: "boolean",
    help:
      "With --cert/--key: spend each new connection's setup before its TLS handshake, not in its first response, so a client's own TLS time carries it",
  },
  ...MOCK_OPTIONS,
};

/** Help text. */
export const HELP = `Usage: tailgate serve [options]

Serves the mock inference API: POST/GET /api, GET /health, GET /stats,
POST /stats/reset. Latency = network RTT + lognormal service time (+ a slow
path), plus a connection-setup cost on the first request of each new
connection. One configuration serves every client; there is no special mode.

Options:
${formatOptions(OPTIONS)}`;

/** Runs the command; serves until interrupted. */
export async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("serve", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length) {
    throw new UsageError(`serve takes no arguments, got "${positionals[0]}": see --help`);
  }
  const port = positiveInt("--port", str(values, "port")!, true);
  if (port > 65535) throw new UsageError(`Invalid value for --port: ${port} is above 65535`);
  const config = mockConfigFromValues(values);
  const certPath = str(values, "cert");
  const keyPath = str(values, "key");
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new UsageError("HTTPS needs both --cert and --key");
  }
  const read = async (p: string) => {
    try {
      return await Deno.readTextFile(p);
    } catch {
      throw new UsageError(`Cannot read ${p}: check the path`);
    }
  };
  const tls = certPath && keyPath ? { cert: await read(certPath), key: await read(keyPath) } : {};
  let server;
  try {
    server = serveMock({
      ...config,
      ...tls,
      port,
      hostname: str(values, "hostname")!,
      public: values.public === true,
      raw: values.raw === true,
      setupAtHandshake: values["setup-at-handshake"] === true,
    });
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message);
    if (err instanceof Deno.errors.AddrInUse) {
      throw new UsageError(`Port ${port} is in use: pick another with --port, or --port 0`);
    }
    throw err;
  }
  console.log(`tailgate mock listening on ${server.url}  (Ctrl-C to stop)`);
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stop.promise;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  await server.close();
  return 0;
}
