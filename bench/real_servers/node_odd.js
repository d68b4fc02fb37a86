const http = require("http");
http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname === "/sleep") {
    return setTimeout(() => res.end("ok"), Number(u.searchParams.get("ms") || 100));
  }
  if (u.pathname === "/hang") return;
  if (u.pathname === "/destroy") return req.socket.destroy();
  if (u.pathname === "/half") {
    res.writeHead(200, { "content-length": "100" });
    res.write("x".repeat(10));
    return setTimeout(() => req.socket.destroy(), 20);
  }
  if (u.pathname === "/chunked") {
    res.writeHead(200);
    let i = 0;
    const t = setInterval(() => {
      res.write("chunk" + i + "\n");
      if (++i === 5) {
        clearInterval(t);
        res.end();
      }
    }, 10);
    return;
  }
  if (u.pathname === "/close") {
    res.setHeader("connection", "close");
    return res.end("bye");
  }
  if (u.pathname === "/flaky") {
    if (Math.random() < 0.1) return req.socket.destroy();
    return res.end("ok");
  }
  res.end("ok");
}).listen(18007, "127.0.0.2");
setTimeout(() => process.exit(0), 3600e3);
