"""The embedded Redis: fakeredis's TCP server, made to behave like Redis when a command fails.

fakeredis 2.40's TCP handler answers a command it cannot run (RQ probes the server with ``INFO``) and then *closes
the connection*, so the client's next command on that connection fails with "Connection closed by server". Real
Redis answers the error and keeps the connection: so does this handler.
"""
from __future__ import annotations

import select
import threading

import redis
from fakeredis import TcpFakeServer
from fakeredis._clients._tcp_server import TCPFakeRequestHandler
from fakeredis._helpers import SimpleError

_POLL_INTERVAL = 0.01


class _ForgivingHandler(TCPFakeRequestHandler):
    """fakeredis's request handler, except that a failed command does not end the connection."""

    def handle(self) -> None:
        while not self.server._shutdown_event.is_set():
            try:
                if self.current_client.can_read():
                    self.writer.dump(self.current_client.read_response())
                    continue
                data = self.rfile.readline()
                if data == b"":
                    readable, _, _ = select.select([self.connection], [], [], _POLL_INTERVAL)
                    if not readable:
                        continue
                    data = self.rfile.readline()
                    if data == b"":
                        break
                self.current_client.get_socket().sendall(data)
            except ConnectionError:
                break
            except (SimpleError, redis.exceptions.ResponseError) as exc:  # a command error: answer it and go on
                self.writer.dump(exc)
            except Exception as exc:  # anything else: answer and close, as fakeredis does
                self.writer.dump(exc)
                break


def start_embedded_redis(host: str = "127.0.0.1", port: int = 0) -> tuple[TcpFakeServer, str]:
    """Start the server in a daemon thread; returns it and its ``redis://`` URL."""
    server = TcpFakeServer((host, port), server_type="redis")
    server.RequestHandlerClass = _ForgivingHandler
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="embedded-redis", daemon=True).start()
    return server, f"redis://{host}:{server.server_address[1]}/0"


def stop_embedded_redis(server: TcpFakeServer) -> None:
    server.shutdown()
    server.server_close()
