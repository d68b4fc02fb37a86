const http2 = require("http2");
const fs = require("fs");
const s = http2.createSecureServer({
  key: fs.readFileSync("/tmp/rs/srv.key"),
  cert: fs.readFileSync("/tmp/rs/chain.pem"),
  maxSessionMemory: 100,
});
let n = 0;
s.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  const p = headers[":path"];
  n++;
  if (p === "/rst") return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  if (p === "/goaway" && n % 25 === 0) stream.session.goaway();
  if (p === "/hang") return;
  if (p === "/big") {
    stream.respond({ ":status": 200 });
    return stream.end(Buffer.alloc(3_000_000, 120));
  }
  stream.respond({ ":status": 200, "content-type": "text/plain" });
  stream.end("ok");
});
s.on("sessionError", () => {});
s.listen(18008, "127.0.0.2");
setTimeout(() => process.exit(0), 3600e3);
