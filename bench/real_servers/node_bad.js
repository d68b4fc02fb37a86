const https = require("https");
const fs = require("fs");
https.createServer({
  key: fs.readFileSync("/tmp/rs/bad.key"),
  cert: fs.readFileSync("/tmp/rs/bad.pem"),
}, (_q, s) => s.end("ok")).listen(18005, "127.0.0.2");
https.createServer({
  key: fs.readFileSync("/tmp/rs/caself.key"),
  cert: fs.readFileSync("/tmp/rs/caself.pem"),
}, (_q, s) => s.end("ok")).listen(18006, "127.0.0.2");
setTimeout(() => process.exit(0), 3600e3);
