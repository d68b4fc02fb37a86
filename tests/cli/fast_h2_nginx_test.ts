/**
 * fast-h2 against nginx's cleartext HTTP/2 port (bench/nginx.conf, a spawned
 * nginx on loopback): h2load's two shapes, every request a 200. Skipped, with
 * the reason printed, when nginx is not installed.
 */
import assert from "node:assert/strict";
import { startNginx, which } from "../../bench/_tools.ts";
import { createFastH2Client } from "../../lib/client/fast_h2.ts";

const HAVE_NGINX = await which("nginx");

Deno.test({
  name:
    "FastH2Client.send() completes every request against nginx h2c as -c 20 -m 1 and -c 2 -m 10",
  ignore: !HAVE_NGINX,
  async fn() {
    const nginx = await startNginx(1);
    const url = `http://127.0.0.1:${nginx.ports[1]}/`;
    try {
      for (const [connections, streams] of [[20, 1], [2, 10]] as const) {
        const client = createFastH2Client({
          concurrency: 20,
          timeoutMs: 5_000,
          connections,
          streams,
        });
        const kinds: Record<string, number> = {};
        let bytes = 0;
        try {
          await Promise.all(Array.from({ length: 20 }, async () => {
            for (let i = 0; i < 100; i++) {
              const o = await client.send({ url, method: "GET", headers: [], body: null });
              const key = `${o.error}[${o.status}]`;
              kinds[key] = (kinds[key] ?? 0) + 1;
              bytes += o.bytes;
            }
          }));
        } finally {
          await client.close();
        }
        assert.deepEqual(kinds, { "[200]": 2000 }, `${connections}x${streams}`);
        assert.equal(bytes, 2000 * "ok".length);
      }
    } finally {
      await nginx.stop();
    }
  },
});

if (!HAVE_NGINX) console.log("fast_h2_nginx_test: skipped: nginx is not installed");
