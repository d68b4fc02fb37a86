/**
 * classifyError() against the exact errors Deno 2.9.6 `fetch` and sockets
 * throw. Each message below was captured from a real request against the
 * mock (the fault named in the test); `tests/fault_matrix_test.ts` checks
 * the same paths end to end.
 */
import assert from "node:assert/strict";
import {
  classifyError,
  describeError,
  isCanceledConnect,
} from "../../lib/client/_classify_error.ts";

/** A `fetch` rejection as Deno builds it: `TypeError("fetch failed")` caused by the hyper error. */
function fetchFailed(inner: string): TypeError {
  return new TypeError("fetch failed", { cause: new Error(inner) });
}

Deno.test("classifyError() maps a body cut mid-way (HTTP/1.1 cut or reset) to reset", () => {
  // Deno.serve HTTP/1.1 with a reset or cut fault: 200 headers, then the body read fails.
  assert.equal(classifyError(new TypeError("error reading a body from connection")), "reset");
});

Deno.test("classifyError() maps an HTTP/2 stream reset by the server to reset", () => {
  // Deno.serve over h2c with a reset or cut fault: RST_STREAM(INTERNAL_ERROR).
  assert.equal(
    classifyError(fetchFailed("stream error received: unexpected internal error encountered")),
    "reset",
  );
  assert.equal(
    classifyError(fetchFailed("connection error received: not a result of an error")),
    "reset",
  );
});

Deno.test("classifyError() maps an HTTP/2 protocol violation found by the client to protocol", () => {
  // h2c prior knowledge against the raw HTTP/1.1 transport: the HTTP/1.1 reply is not a frame.
  assert.equal(
    classifyError(fetchFailed("connection error detected: frame with invalid size")),
    "protocol",
  );
  assert.equal(
    classifyError(fetchFailed("stream error detected: unspecific protocol error detected")),
    "protocol",
  );
});

Deno.test("classifyError() maps a connection closed before any response byte to reset", () => {
  assert.equal(
    classifyError(
      fetchFailed(
        "error sending request from 127.0.0.1:38102 for http://127.0.0.1:44927/api (127.0.0.1:44927): client error (SendRequest): connection closed before message completed",
      ),
    ),
    "reset",
  );
});

Deno.test("classifyError() maps malformed HTTP/1.1 responses to protocol", () => {
  for (const what of ["invalid HTTP version parsed", "invalid content-length parsed"]) {
    assert.equal(
      classifyError(
        fetchFailed(
          `error sending request from 127.0.0.1:42276 for http://127.0.0.1:44877/api (127.0.0.1:44877): client error (SendRequest): ${what}`,
        ),
      ),
      "protocol",
      what,
    );
  }
});

Deno.test("classifyError() maps an untrusted certificate to tls, for fetch and for sockets", () => {
  assert.equal(
    classifyError(
      fetchFailed(
        "error sending request for url (https://127.0.0.1:41911/api): client error (Connect): invalid peer certificate: UnknownIssuer",
      ),
    ),
    "tls",
  );
  // Deno.connectTls (the fast profile).
  assert.equal(
    classifyError(new Deno.errors.InvalidData("invalid peer certificate: UnknownIssuer")),
    "tls",
  );
});

Deno.test("classifyError() maps a name that does not resolve to dns", () => {
  assert.equal(
    classifyError(new Error("failed to lookup address information: Name or service not known")),
    "dns",
  );
});

Deno.test("classifyError() maps refused connections, timeouts and aborts by type", () => {
  assert.equal(
    classifyError(new Deno.errors.ConnectionRefused("Connection refused")),
    "connect_refused",
  );
  assert.equal(classifyError(new Deno.errors.ConnectionReset("Connection reset by peer")), "reset");
  assert.equal(
    classifyError(new DOMException("Signal timed out.", "TimeoutError")),
    "timeout",
  );
  assert.equal(
    classifyError(new DOMException("The signal has been aborted", "AbortError")),
    "aborted",
  );
});

Deno.test("classifyError() ignores words in the request URL and socket addresses", () => {
  // Before stripping, the path "/timeout" made a refused connection a timeout, and the host
  // "ssl.reset.example" made a malformed response tls.
  assert.equal(
    classifyError(
      fetchFailed(
        "error sending request for url (http://127.0.0.1:8080/timeout): client error (Connect): tcp connect error: Connection refused (os error 111)",
      ),
    ),
    "connect_refused",
  );
  assert.equal(
    classifyError(
      fetchFailed(
        "error sending request from 10.0.0.2:5000 for https://ssl.reset.example/api (10.0.0.9:443): client error (SendRequest): invalid HTTP version parsed",
      ),
    ),
    "protocol",
  );
});

Deno.test("classifyError() falls back to other for errors it does not know", () => {
  assert.equal(classifyError(new Error("something unheard of")), "other");
  assert.equal(classifyError("a string"), "other");
  assert.equal(classifyError(undefined), "other");
});

Deno.test("isCanceledConnect() spots HTTP/2 waiters of a failed connection attempt", () => {
  // optimized profile, 4 requests at once to a port with nothing listening: one gets
  // "Connection refused", the other three get this message, which names no cause.
  const canceled = fetchFailed(
    "error sending request for url (http://127.0.0.1:45909/api): client error (Connect): request was canceled",
  );
  assert.equal(isCanceledConnect(canceled), true);
  assert.equal(classifyError(canceled), "other");
  assert.equal(
    isCanceledConnect(
      fetchFailed(
        "error sending request for url (http://127.0.0.1:45909/api): client error (Connect): tcp connect error: Connection refused (os error 111)",
      ),
    ),
    false,
  );
});

Deno.test("classifyError() maps an oversized response head to protocol and plain HTTP on https to tls", () => {
  // Deno 2.9.6 fetch, against a server sending a 1 MiB header / a plain-HTTP server on https://.
  const big = fetchFailed(
    "error sending request from 127.0.0.1:57518 for http://127.0.0.2:45643/ (127.0.0.2:45643): client error (SendRequest): message head is too large",
  );
  assert.equal(classifyError(big), "protocol");
  const plain = fetchFailed(
    "error sending request for url (https://127.0.0.2:46585/): client error (Connect): received corrupt message of type InvalidContentType",
  );
  assert.equal(classifyError(plain), "tls");
  // Deno.connectTls, as the fast engine sees it.
  assert.equal(
    classifyError(new Error("received corrupt message of type InvalidContentType")),
    "tls",
  );
});

Deno.test("describeError() joins an error's causes without the URL and socket addresses", () => {
  const big = fetchFailed(
    "error sending request from 127.0.0.1:57518 for http://127.0.0.2:45643/ (127.0.0.2:45643): client error (SendRequest): message head is too large",
  );
  assert.equal(
    describeError(big),
    "fetch failed: client error (SendRequest): message head is too large",
  );
  const tls = fetchFailed(
    "error sending request for url (https://127.0.0.2:46041/): client error (Connect): invalid peer certificate: UnknownIssuer",
  );
  assert.equal(
    describeError(tls),
    "fetch failed: client error (Connect): invalid peer certificate: UnknownIssuer",
  );
  assert.equal(describeError(new Error("x", { cause: new Error("x") })), "x");
  assert.equal(describeError("plain text"), "plain text");
});
