const http = require("http");
let n = 0;
http.createServer((req, res) => {
  n++;
  let b = 0;
  req.on("data", (c) => b += c.length);
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ n, method: req.method, url: req.url, body: b }));
  });
}).listen(18002, "127.0.0.2");
setTimeout(() => process.exit(0), 3600e3);
