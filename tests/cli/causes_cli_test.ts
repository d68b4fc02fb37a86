/**
 * A failure never hides its cause: `bench` and `suite` print the first
 * messages of each error kind (`causes`) and one line of advice for the
 * causes tailgate knows (broken certificates, plain HTTP on `https://`);
 * `--json` carries them as `error_causes` and `advice`. Running out of file
 * descriptors is named, with exit 4. URL credentials work, and stay
 * secret, in every profile. Real subprocesses against servers on 127.0.0.2;
 * the broken certificates are made with openssl at test time
 * (tests/testdata/gen_bad_certs.sh).
 */
import assert from "node:assert/strict";
import { PROFILES } from "../../lib/client/mod.ts";
import { rawServer } from "../_raw_server.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const HOST = "127.0.0.2";
const HAS_OPENSSL = await which("openssl");
const HAS_PRLIMIT = await which("prlimit");

async function which(cmd: string): Promise<boolean> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
    .output();
  return out.success;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

/** Runs `main.ts` with net access to 127.0.0.2 only and a fresh directory to write in. */
async function tailgate(args: string[], prefix: string[] = []): Promise<Run> {
  const dir = await Deno.makeTempDir({ prefix: "tailgate-causes-" });
  const deno = [
    Deno.execPath(),
    "run",
    "--quiet",
    `--allow-net=${HOST}`,
    "--allow-read",
    `--allow-write=${dir}`,
    "--allow-env=NO_COLOR",
    `${ROOT}main.ts`,
    ...args.map((a) => a.replaceAll("$DIR", dir)),
  ];
  const cmd = prefix.length > 0 ? prefix[0]! : deno[0]!;
  const out = await new Deno.Command(cmd, {
    args: prefix.length > 0 ? [...prefix.slice(1), ...deno] : deno.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), dir };
}

function bench(url: string, profile: string, extra: string[] = []): Promise<Run> {
  return tailgate([
    "bench",
    url,
    "--client",
    profile,
    "-n",
    "4",
    "-c",
    "2",
    "-q",
    "--timeout",
    "5s",
    "--out",
    "$DIR/run.csv",
    "--json",
    "$DIR/run.json",
    ...extra,
  ]);
}

async function readJson(run: Run): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(`${run.dir}/run.json`));
}

/** The `error` column of every row of the run's CSV. */
async function csvErrors(run: Run): Promise<string[]> {
  const lines = (await Deno.readTextFile(`${run.dir}/run.csv`)).trim().split("\n").slice(1);
  return lines.map((l) => l.split(",")[6]!);
}

/** Makes the broken certificates in a temporary directory. */
async function badCerts(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tailgate-certs-" });
  const out = await new Deno.Command("sh", {
    args: [`${ROOT}tests/testdata/gen_bad_certs.sh`, dir],
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return dir;
}

const TLS_CASES = [
  {
    cert: "self-signed",
    extra: [] as string[],
    message: /UnknownIssuer/,
    advice: /--ca-cert FILE\.pem/,
  },
  {
    cert: "expired",
    extra: ["--ca-cert", "$CERTS/ca.pem"],
    message: /certificate expired/,
    advice: /validity dates/,
  },
  {
    cert: "wrong-san",
    extra: ["--ca-cert", "$CERTS/ca.pem"],
    message: /not valid for name "127\.0\.0\.2"/,
    advice: /subjectAltName \(SAN\)/,
  },
  {
    cert: "ca-leaf",
    extra: ["--ca-cert", "$CERTS/ca-leaf.pem"],
    message: /CaUsedAsEndEntity/,
    advice: /use a CA-signed server certificate and pass the CA with --ca-cert/,
  },
];

Deno.test({
  name: "bench names each broken certificate's cause and its fix, in text and --json",
  ignore: !HAS_OPENSSL,
  async fn() {
    const certs = await badCerts();
    try {
      const key = await Deno.readTextFile(`${certs}/key.pem`);
      for (const c of TLS_CASES) {
        const cert = await Deno.readTextFile(`${certs}/${c.cert}.pem`);
        const server = Deno.serve(
          { hostname: HOST, port: 0, cert, key, onListen: () => {}, onError: () => new Response() },
          () => new Response("ok"),
        );
        try {
          for (const profile of ["fast", "h1"]) {
            const extra = c.extra.map((a) => a.replace("$CERTS", certs));
            const run = await bench(`https://${HOST}:${server.addr.port}/`, profile, extra);
            const what = `${c.cert} ${profile}:\n${run.stdout}${run.stderr}`;
            assert.equal(run.code, 4, what);
            const cause = /^causes {8}tls: (.*)$/m.exec(run.stdout)?.[1] ?? "";
            assert.match(cause, c.message, what);
            assert.match(/^advice {8}(.*)$/m.exec(run.stdout)?.[1] ?? "", c.advice, what);
            const json = await readJson(run);
            const causes = json.error_causes as Record<string, string[]>;
            assert.match(causes.tls?.[0] ?? "", c.message, what);
            assert.match((json.advice as string[])[0] ?? "", c.advice, what);
          }
        } finally {
          await server.shutdown();
        }
      }
      // The good certificate with its CA: no error, no causes.
      const cert = await Deno.readTextFile(`${certs}/good.pem`);
      const server = Deno.serve(
        { hostname: HOST, port: 0, cert, key, onListen: () => {} },
        () => new Response("ok"),
      );
      try {
        const run = await bench(`https://${HOST}:${server.addr.port}/`, "fast", [
          "--ca-cert",
          `${certs}/ca.pem`,
        ]);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.doesNotMatch(run.stdout, /^causes/m);
        assert.deepEqual((await readJson(run)).error_causes, {});
      } finally {
        await server.shutdown();
      }
    } finally {
      await Deno.remove(certs, { recursive: true });
    }
  },
});

Deno.test("bench on https:// to a plain-HTTP server says tls and advises http://", async () => {
  const server = rawServer("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  try {
    for (const profile of ["fast", "h1"]) {
      const run = await bench(server.url.replace("http:", "https:"), profile);
      const what = `${profile}:\n${run.stdout}${run.stderr}`;
      assert.equal(run.code, 4, what);
      assert.match(run.stdout, /^errors {8}tls: 4$/m, what);
      assert.match(run.stdout, /^causes {8}tls: .*corrupt message/m, what);
      assert.match(
        run.stdout,
        /^advice {8}the server answered in plain HTTP; use http:\/\/$/m,
        what,
      );
    }
  } finally {
    server.close();
  }
});

Deno.test("bench records a final 101 as protocol in the CSV and the summary, in every HTTP/1.1 profile", async () => {
  const server = rawServer("HTTP/1.1 101 Switching Protocols\r\ncontent-length: 0\r\n\r\n");
  try {
    for (const profile of ["fast", "h1", "baseline", "fresh"]) {
      const run = await bench(server.url, profile);
      const what = `${profile}:\n${run.stdout}${run.stderr}`;
      assert.equal(run.code, 4, what);
      assert.deepEqual(
        await csvErrors(run),
        ["protocol", "protocol", "protocol", "protocol"],
        what,
      );
      const json = await readJson(run);
      assert.deepEqual((json.summary as { error_kinds: unknown }).error_kinds, { protocol: 4 });
      assert.match(run.stdout, /^causes {8}protocol: /m, what);
    }
  } finally {
    server.close();
  }
});

Deno.test({
  name: "bench out of file descriptors warns, names ulimit -n, and exits 4",
  ignore: !HAS_PRLIMIT,
  async fn() {
    const server = rawServer("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    try {
      for (const profile of ["fast", "h1"]) {
        const run = await tailgate(
          [
            "bench",
            server.url,
            "--client",
            profile,
            "-n",
            "300",
            "-c",
            "100",
            "-q",
            "--out",
            "$DIR/run.csv",
            "--json",
            "$DIR/run.json",
          ],
          ["prlimit", "--nofile=60:60"],
        );
        const what = `${profile}:\n${run.stdout}${run.stderr}`;
        assert.equal(run.code, 4, what);
        assert.match(
          run.stdout,
          /^WARNING: \d+ requests? failed because tailgate ran out of file descriptors .*ulimit -n/m,
          what,
        );
        assert.match(run.stdout, /^causes {8}other: .*Too many open files/m, what);
        const json = await readJson(run);
        assert.ok((json.file_descriptor_limit_errors as number) > 0, what);
        assert.equal(json.exit_code, 4);
      }
    } finally {
      server.close();
    }
  },
});

Deno.test("bench with credentials in the URL succeeds in every profile and never shows them", async () => {
  const password = "hunter2-pw";
  const basic = btoa(`alice:${password}`);
  const server = Deno.serve(
    { hostname: HOST, port: 0, onListen: () => {} },
    (req) => {
      const ok = req.headers.get("authorization") === `Basic ${basic}`;
      return new Response(ok ? "ok" : "no", { status: ok ? 200 : 401 });
    },
  );
  try {
    for (const profile of PROFILES) {
      const run = await bench(`http://alice:${password}@${HOST}:${server.addr.port}/`, profile);
      const what = `${profile}:\n${run.stdout}${run.stderr}`;
      assert.equal(run.code, 0, what);
      const written = [
        run.stdout,
        run.stderr,
        await Deno.readTextFile(`${run.dir}/run.json`),
        await Deno.readTextFile(`${run.dir}/run.csv.meta.json`),
      ].join("\n");
      assert.ok(!written.includes(password), `${profile} wrote the password`);
      assert.ok(!written.includes(basic), `${profile} wrote the Basic credentials`);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name:
    "suite and suite --ladder print each client's failure causes and the advice, and report them",
  ignore: !HAS_OPENSSL,
  async fn() {
    const certs = await badCerts();
    const server = Deno.serve(
      {
        hostname: HOST,
        port: 0,
        cert: await Deno.readTextFile(`${certs}/self-signed.pem`),
        key: await Deno.readTextFile(`${certs}/key.pem`),
        onListen: () => {},
        onError: () => new Response(),
      },
      () => new Response("ok"),
    );
    try {
      const run = await tailgate([
        "suite",
        `https://${HOST}:${server.addr.port}/`,
        "-n",
        "6",
        "-c",
        "2",
        "--out-dir",
        "$DIR/out",
      ]);
      const what = run.stdout + run.stderr;
      assert.match(run.stdout, /^causes {8}baseline tls: .*UnknownIssuer/m, what);
      assert.match(run.stdout, /^causes {8}optimized tls: .*UnknownIssuer/m, what);
      assert.match(run.stdout, /^advice {8}.*--ca-cert/m, what);
      const report = JSON.parse(await Deno.readTextFile(`${run.dir}/out/comparison_report.json`));
      assert.match(report.error_causes.baseline.tls[0], /UnknownIssuer/);
      assert.match(report.advice[0], /--ca-cert/);
      // The ladder: each rung's causes, the advice once.
      const ladder = await tailgate([
        "suite",
        `https://${HOST}:${server.addr.port}/`,
        "--ladder",
        "-n",
        "6",
        "-c",
        "2",
        "--out-dir",
        "$DIR/ladder",
      ]);
      const said = ladder.stdout + ladder.stderr;
      assert.match(ladder.stdout, /^causes {8}no-reuse tls: .*UnknownIssuer/m, said);
      assert.match(ladder.stdout, /^causes {8}keep-alive tls: .*UnknownIssuer/m, said);
      assert.equal(ladder.stdout.match(/^advice /gm)?.length, 1, said);
      const steps = JSON.parse(
        await Deno.readTextFile(`${ladder.dir}/ladder/comparison_report.json`),
      );
      assert.match(steps.ladder[0].error_causes.tls[0], /UnknownIssuer/);
    } finally {
      await server.shutdown();
      await Deno.remove(certs, { recursive: true });
    }
  },
});
