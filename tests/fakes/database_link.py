"""A network hop between our code and the test PostgreSQL that fails like a network does.

    with DatabaseLink(database_url) as link:
        ... build the app on link.url ...
        link.cut(refuse=2)   # every open connection dropped, the next 2 connects refused
        link.refused         # how many connects were refused so far
        link.connects        # how many connects reached the link at all

A TCP server on 127.0.0.1 relays bytes to the real server (its Unix socket, or its host and
port). It can also fail the way PostgreSQL itself does around a restart, speaking just enough
of the wire protocol (an SSLRequest declined, one ErrorResponse):

    link.fail_next(2, STARTING_UP)      # "the database system is starting up" (57P03)
    link.fail_next(1, SHUT_DOWN_AFTER_LOGIN)
        # the login succeeds, then "terminating connection due to administrator command"
        # (57P01) arrives right behind ReadyForQuery, as when a fast shutdown begins
    link.hold()      # connects are accepted and left unanswered ...
    link.release()   # ... until released: then they go through

Leaving the ``with`` block closes it all.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Literal, Self

from sqlalchemy.engine import make_url

Failure = Literal["starting_up", "shut_down_after_login"]
STARTING_UP: Failure = "starting_up"
SHUT_DOWN_AFTER_LOGIN: Failure = "shut_down_after_login"
SSL_REQUEST = 80877103
FATAL = {
    STARTING_UP: ("57P03", "the database system is starting up"),
    SHUT_DOWN_AFTER_LOGIN: ("57P01", "terminating connection due to administrator command"),
}


class DatabaseLink:
    def __init__(self, database_url: str) -> None:
        target = make_url(database_url)
        socket_dir = target.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            self._target: tuple[int, str | tuple[str, int]] = (
                socket.AF_UNIX,
                f"{socket_dir}/.s.PGSQL.{target.port or 5432}",
            )
        else:
            self._target = (socket.AF_INET, (target.host or "127.0.0.1", target.port or 5432))
        self._server = socket.create_server(("127.0.0.1", 0))
        port = self._server.getsockname()[1]
        self.url = target.difference_update_query(["host"]).set(host="127.0.0.1", port=port)
        self.url_text = self.url.render_as_string(hide_password=False)
        self.refused = 0
        self.connects = 0
        self.failed: dict[Failure, int] = {STARTING_UP: 0, SHUT_DOWN_AFTER_LOGIN: 0}
        self._to_refuse = 0
        self._to_fail: list[Failure] = []
        self._held: list[socket.socket] | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept)

    def cut(self, *, refuse: int = 0) -> None:
        """Drop every open connection and refuse the next ``refuse`` connects."""
        with self._lock:
            self._to_refuse += refuse
            dropped, self._open = self._open, []
        for sock in dropped:
            _close(sock)

    def fail_next(self, count: int, failure: Failure) -> None:
        """The next ``count`` connects fail as PostgreSQL does in ``failure``."""
        with self._lock:
            self._to_fail += [failure] * count

    def hold(self) -> None:
        """Accept connects from now on but answer none of them until ``release``."""
        with self._lock:
            self._held = []

    def release(self) -> None:
        with self._lock:
            held, self._held = self._held or [], None
        for client in held:
            self._spawn(self._serve, client, None)

    def close(self) -> None:
        self._closing.set()
        _close(self._server)
        for client in self._held or []:
            _close(client)
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.connects += 1
                refuse = self._to_refuse > 0
                if refuse:
                    self._to_refuse -= 1
                    self.refused += 1
                failure = self._to_fail.pop(0) if self._to_fail and not refuse else None
                if failure is not None:
                    self.failed[failure] += 1
                held = self._held is not None and not refuse and failure is None
                if held:
                    assert self._held is not None
                    self._held.append(client)
            if refuse:
                _close(client)
            elif not held:
                self._spawn(self._serve, client, failure)

    def _serve(self, client: socket.socket, failure: Failure | None) -> None:
        with self._lock:
            self._open.append(client)
        if failure == STARTING_UP:
            with contextlib.suppress(OSError):
                _read_startup(client)
                client.sendall(_fatal(failure))
            _close(client)
            return
        upstream = socket.socket(self._target[0], socket.SOCK_STREAM)
        upstream.connect(self._target[1])
        with self._lock:
            self._open.append(upstream)
        if failure == SHUT_DOWN_AFTER_LOGIN:
            self._log_in_then_shut_down(client, upstream)
            return
        self._spawn(_relay, client, upstream)
        _relay(upstream, client)

    def _log_in_then_shut_down(self, client: socket.socket, upstream: socket.socket) -> None:
        """Relay the login, then send the shutdown's FATAL right behind ReadyForQuery; the
        socket closes when the client next speaks (it has then read the error)."""
        with contextlib.suppress(OSError):
            upstream.sendall(_read_startup(client))
            received = b""
            while (end := _ready_for_query_end(received)) is None:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                received += chunk
            if end is not None:
                client.sendall(received[:end] + _fatal(SHUT_DOWN_AFTER_LOGIN))
                client.recv(65536)
        _close(upstream)
        _close(client)


def _read_startup(client: socket.socket) -> bytes:
    """The client's StartupMessage, after declining its SSLRequest if it sent one."""
    message = _read_message(client)
    if struct.unpack("!I", message[4:8])[0] == SSL_REQUEST:
        client.sendall(b"N")
        message = _read_message(client)
    return message


def _read_message(client: socket.socket) -> bytes:
    head = _read_exactly(client, 4)
    return head + _read_exactly(client, struct.unpack("!I", head)[0] - 4)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("the client went away")
        data += chunk
    return data


def _ready_for_query_end(data: bytes) -> int | None:
    """Where the first ReadyForQuery message ends in the server's bytes, if it came yet."""
    at = 0
    while at + 5 <= len(data):
        kind, length = data[at : at + 1], int(struct.unpack("!I", data[at + 1 : at + 5])[0])
        if at + 1 + length > len(data):
            return None
        at += 1 + length
        if kind == b"Z":
            return at
    return None


def _fatal(failure: Failure) -> bytes:
    code, text = FATAL[failure]
    fields = b"".join(
        kind + value.encode() + b"\0"
        for kind, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", text))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


def _relay(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    _close(source)
    _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
