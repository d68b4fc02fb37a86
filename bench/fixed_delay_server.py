"""A raw HTTP/1.1 keep-alive server that answers every request after a
known fixed delay, for bench/fidelity.ts and bench/fetch_overhead.ts.

    python3 bench/fixed_delay_server.py PORT DELAY_MS

Listens on 127.0.0.1 only. Each request (GET, no body) is answered
`200 ok` DELAY_MS after its head arrived. `GET /__stats` answers at once
with the server's own lateness (actual answer - due answer) in ms as JSON,
so a client's error can be told apart from the server's; `GET /__reset`
clears it. One asyncio loop, no framework: the floor every client shares.
"""
import asyncio
import json
import sys
import time

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
late_ms = []


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


class Handler(asyncio.Protocol):
    def __init__(self, delay):
        self.delay = delay
        self.buf = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            if path == b"/__stats":
                s = sorted(late_ms)
                body = json.dumps({
                    "count": len(s),
                    "p50_ms": percentile(s, 50),
                    "p99_ms": percentile(s, 99),
                    "p999_ms": percentile(s, 99.9),
                    "max_ms": s[-1] if s else None,
                }).encode()
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
                continue
            if path == b"/__reset":
                late_ms.clear()
                self.transport.write(RESPONSE)
                continue
            due = time.perf_counter() + self.delay
            asyncio.get_running_loop().call_later(self.delay, self.answer, due)

    def answer(self, due):
        if self.transport.is_closing():
            return
        late_ms.append((time.perf_counter() - due) * 1000)
        if len(late_ms) > 1_000_000:
            del late_ms[:500_000]
        self.transport.write(RESPONSE)


async def main():
    port = int(sys.argv[1])
    delay = float(sys.argv[2]) / 1000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Handler(delay), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
