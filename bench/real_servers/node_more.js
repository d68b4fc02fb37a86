const http = require("http");
http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname === "/hints") {
    res.writeEarlyHints({ link: "</a.css>; rel=preload" });
    return setTimeout(() => res.end("after hints"), 5);
  }
  if (u.pathname === "/trailers") {
    res.writeHead(200, { "Trailer": "X-Sum" });
    res.write("abc");
    res.addTrailers({ "X-Sum": "3" });
    return res.end();
  }
  if (u.pathname === "/204") {
    res.statusCode = 204;
    return res.end();
  }
  if (u.pathname === "/304") {
    res.statusCode = 304;
    return res.end();
  }
  if (u.pathname === "/nolen") {
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, { connection: "close" });
    res.write("a");
    return setTimeout(() => res.end("b"), 5);
  }
  if (u.pathname === "/bigheaders") {
    res.setHeader("x-big", "y".repeat(60000));
    return res.end("ok");
  }
  res.end("ok");
}).listen(18009, "127.0.0.2");
setTimeout(() => process.exit(0), 3600e3);
