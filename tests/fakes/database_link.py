"""A network hop between our code and the test PostgreSQL that fails like a network does.

    with DatabaseLink(database_url) as link:
        ... build the app on link.url ...
        link.cut(refuse=2)   # every open connection dropped, the next 2 connects refused
        link.refused         # how many connects were refused so far

A TCP server on 127.0.0.1 relays bytes to the real server (its Unix socket, or its host and
port); nothing of PostgreSQL's protocol is imitated. Leaving the ``with`` block closes it all.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self

from sqlalchemy.engine import make_url


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
        self._to_refuse = 0
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

    def close(self) -> None:
        self._closing.set()
        _close(self._server)
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
                refuse = self._to_refuse > 0
                if refuse:
                    self._to_refuse -= 1
                    self.refused += 1
            if refuse:
                _close(client)
                continue
            upstream = socket.socket(self._target[0], socket.SOCK_STREAM)
            upstream.connect(self._target[1])
            with self._lock:
                self._open += [client, upstream]
            self._spawn(_relay, client, upstream)
            self._spawn(_relay, upstream, client)


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
