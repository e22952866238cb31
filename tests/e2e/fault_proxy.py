"""A fault-injecting HTTP proxy on 127.0.0.1, in front of the moto server.

The auditor's clients are pointed at it with AWS_ENDPOINT_URL. Requests are forwarded to the
server unchanged, except those of the operations given a fault, which get broken answers:

  truncated  the real answer cut short (the body still holds the entity, e.g. a trust policy)
  html       a 200 "proxy login" HTML page
  missing    a 200 whose result element is emptied (the element the auditor reads is gone)
  drop:NAME  a 200 with every <NAME> element removed (e.g. drop:Document)
  500        an internal error (XML error body)
  reset      the connection is reset without an answer
  slow       no answer until well past the client's read timeout
"""
from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FAULTS = ("truncated", "html", "missing", "500", "reset", "slow")
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
              b"<form action='/login'>Proxy authentication required</form></body></html>")
ERROR_500 = (b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
             b"<Message>We encountered an internal error. Please try again.</Message></Error>"
             b"<RequestId>0</RequestId></ErrorResponse>")


class FaultProxy:
    def __init__(self, upstream: str, slow_seconds: float = 3.0):
        self.upstream = urlsplit(upstream)
        self.slow_seconds = slow_seconds
        self.faults: dict[str, str] = {}     # operation name (e.g. "GetRole") -> fault
        self.seen: Counter = Counter()       # operation -> requests received
        self.faulted: Counter = Counter()    # operation -> broken answers given
        self.errors: list[str] = []          # the proxy's own failures (none expected)
        self._closing = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"      # keep-alive, as botocore's connection pool expects

            def log_message(self, *args):
                pass

            def do_POST(self):
                try:
                    proxy._handle(self)
                except Exception as error:   # a broken fault is the test's bug: the test says so
                    if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
                        proxy.errors.append(repr(error))
                    raise

            do_GET = do_POST

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass            # a client that gave up (a read timeout) is expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def set(self, faults: dict[str, str]) -> None:
        self.faults = dict(faults)
        self.seen.clear()
        self.faulted.clear()
        self.errors.clear()

    # -- one request ----------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        operation = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
        self.seen[operation] += 1
        fault = self.faults.get(operation)
        if fault:
            self.faulted[operation] += 1
        if fault == "reset":
            # SO_LINGER 0: close() sends a TCP reset instead of an orderly end.
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.close_connection = True
            handler.connection.close()
            return
        if fault == "slow":
            self._closing.wait(self.slow_seconds)
            handler.close_connection = True
            return
        if fault == "html":
            return self._answer(handler, 200, LOGIN_PAGE, "text/html")
        if fault == "500":
            return self._answer(handler, 500, ERROR_500, "text/xml")
        status, answer, content_type = self._forward(handler, body)
        if fault == "truncated":
            answer = answer[:max(1, len(answer) - 40)]   # cut inside the closing tags
        elif fault == "missing":
            result = (operation + "Result").encode()
            emptied = re.sub(rb"(<%s>).*(</%s>)" % (result, result), rb"\1\2", answer, flags=re.S)
            if emptied == answer:      # an error answer (e.g. no login profile): a 200 instead
                status, emptied = 200, (b"<%sResponse><%s></%s><ResponseMetadata><RequestId>0"
                                        b"</RequestId></ResponseMetadata></%sResponse>"
                                        % (operation.encode(), result, result, operation.encode()))
            answer = emptied
        elif fault and fault.startswith("drop:"):
            name = fault[5:].encode()
            answer = re.sub(rb"<%s>.*?</%s>" % (name, name), b"", answer, flags=re.S)
        self._answer(handler, status, answer, content_type)

    def _forward(self, handler, body: bytes) -> tuple[int, bytes, str]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "connection"}
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "text/xml")
        finally:
            connection.close()

    @staticmethod
    def _answer(handler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
