const http2 = require("http2");
const fs = require("fs");
const s = http2.createSecureServer({
  key: fs.readFileSync("/tmp/rs/srv.key"),
  cert: fs.readFileSync("/tmp/rs/chain.pem"),
  allowHTTP1: true,
});
s.on("request", (req, res) => {
  res.setHeader("content-type", "application/json");
  setTimeout(() => res.end(JSON.stringify({ v: req.httpVersion, url: req.url })), 2);
});
s.listen(18003, "127.0.0.2");
setTimeout(() => process.exit(0), 3600e3);
