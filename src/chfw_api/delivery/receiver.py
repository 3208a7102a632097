"""A small loopback webhook receiver for tests, the bench and suppliers trying the integration.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) to be much faster than the
client under test, so a benchmark measures the sender. Each request is answered by a `Responder`
that may delay, hang, reset the connection, redirect or fail, which is how the fault tests
script misbehaving Service Users. Never listen beyond 127.0.0.1: it verifies nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

_RESPONSE_ID = b"<sr:ResponseID>"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() on arrival

    @property
    def alert_ids(self) -> list[str]:
        """The ResponseIDs in the body: one for a single alert, several for an AlertBatch."""
        ids = []
        start = 0
        while (i := self.body.find(_RESPONSE_ID, start)) >= 0:
            j = self.body.find(b"<", i + len(_RESPONSE_ID))
            ids.append(self.body[i + len(_RESPONSE_ID) : j].decode())
            start = j
        return ids


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # never answer (until the client gives up)
    reset: bool = False  # drop the connection with a TCP RST instead of answering


Responder = Callable[[Received], Reply]
_OK = Reply()
_REASONS = {200: "OK", 204: "No Content", 410: "Gone", 429: "Too Many Requests"}


def always_ok(_: Received) -> Reply:
    return _OK


class _Http(asyncio.Protocol):
    def __init__(self, owner: Receiver) -> None:
        self.owner = owner
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._drain()

    def _drain(self) -> None:
        while self.transport is not None and not self.busy:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            method, path, _ = head[0].split(" ", 2)
            request = Received(method, path, headers, body, time.time())
            reply = self.owner.handle(request)
            if reply is _OK:
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                continue
            self.busy = True
            asyncio.get_running_loop().create_task(self._answer(reply))

    async def _answer(self, reply: Reply) -> None:
        transport = self.transport
        if transport is None:
            return
        if reply.hang:
            await asyncio.sleep(3600)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if transport.is_closing():
            return
        if reply.reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in reply.headers]
        lines.append("Content-Length: 0")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.busy = False
        self._drain()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


@dataclass
class Receiver:
    """`with Receiver() as r:` serves on 127.0.0.1 from a thread; `r.url("/path")`.

    `keep` keeps every request (tests); otherwise only counts are kept (the bench).
    """

    respond: Responder = always_ok
    keep: bool = True
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    def handle(self, request: Received) -> Reply:
        reply = self.respond(request)
        with self._lock:
            self.counts["requests"] += 1
            self.counts["alerts"] += request.body.count(_RESPONSE_ID)
            if self.keep:
                self.requests.append(request)
        return reply

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def delivered_ids(self) -> Counter[str]:
        """How often each alert ID arrived (acknowledged or not)."""
        with self._lock:
            return Counter(i for r in self.requests for i in r.alert_ids)

    async def serve(self, ready: threading.Event | None = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Http(self), "127.0.0.1", self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        if ready is not None:
            ready.set()
        async with server:
            await server.serve_forever()

    def __enter__(self) -> Receiver:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            task = self._loop.create_task(self.serve(ready))
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(task)

        self._thread = threading.Thread(target=run, name="receiver", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the receiver did not start")
        return self

    def __exit__(self, *_: object) -> None:
        loop = self._loop
        if loop is not None:

            def cancel_all() -> None:
                for task in asyncio.all_tasks(loop):
                    task.cancel()

            loop.call_soon_threadsafe(cancel_all)
        if self._thread is not None:
            self._thread.join(10)


def main() -> None:
    """`python -m chfw_api.delivery.receiver --port N`: counts only; GET /_stats reads them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    receiver: Receiver

    def respond(request: Received) -> Reply:
        if request.method == "GET" and request.path == "/_stats":
            return Reply(200, (("X-Stats", json.dumps(dict(receiver.counts))),))
        return _OK

    receiver = Receiver(respond=respond, keep=False, port=args.port)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass

    async def run() -> None:
        task = asyncio.create_task(receiver.serve())
        while receiver.port == 0:
            await asyncio.sleep(0.01)
        print(receiver.port, flush=True)
        await task

    asyncio.run(run())


if __name__ == "__main__":
    main()
