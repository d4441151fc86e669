"""The Waitress server behind `studio serve` and `studio web`, guarded against slow clients.

Waitress alone keeps a connection for as long as it trickles bytes, and stops accepting at its
connection limit: a hundred connections sending one header line a minute take it off the air.
Here three bounds hold instead:

- a connection that has no complete request headers `header_timeout` seconds after it opened (or
  after its last response) is closed: a slow client, or a keep-alive connection left idle;
- one client address keeps at most `per_client` connections that wait for a request: its next
  connection closes the one of them that has waited longest, so an address's idle connections can
  take nothing from anyone else, nor from that address's own real requests (an office behind one NAT);
- at most `total` connections in all (Waitress's `connection_limit`); beyond it new ones wait in
  the listen backlog until a slot is free, which the two bounds above make happen within seconds.

A connection that is being answered, or is still receiving a request body, is never closed by
these bounds (Waitress's `channel_timeout` ends one that goes silent).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 15.0  # seconds from a connection's opening (or last answer) to its request's headers
    per_client: int = 10  # connections one address may keep waiting for a request
    total: int = 500  # open connections in all


class GuardedChannel(HTTPChannel):
    """A Waitress channel that knows since when it has waited for a request's headers."""

    def __init__(self, server, sock, addr, adj, map=None):
        self.waiting_since = time.time()
        super().__init__(server, sock, addr, adj, map=map)
        server.keep_per_client(self.addr)

    def waiting(self) -> bool:
        """True while nothing is being answered or sent and no request's headers are complete."""
        request = self.request
        return not (self.requests or self.total_outbufs_len or self.will_close
                    or (request is not None and request.headers_finished))

    def service(self):
        super().service()
        self.waiting_since = time.time()  # the next request's headers get a full header_timeout


class GuardedServer(TcpWSGIServer):
    """Waitress's TCP server with the header timeout and the per-address bound of `Limits`."""

    channel_class = GuardedChannel
    limits = Limits()

    def maintenance(self, now):
        super().maintenance(now)
        for channel in list(self.active_channels.values()):
            if not channel.waiting():
                channel.waiting_since = now
            elif now - channel.waiting_since > self.limits.header_timeout:
                channel.will_close = True

    def keep_per_client(self, addr) -> None:
        """Close the longest-waiting connections of `addr`'s host beyond `limits.per_client`."""
        waiting = sorted((c for c in list(self.active_channels.values()) if c.addr[0] == addr[0] and c.waiting()),
                         key=lambda c: c.waiting_since)
        for channel in waiting[:max(0, len(waiting) - max(1, self.limits.per_client))]:
            channel.will_close = True


def create_server(app, host: str, port: int, limits: Limits | None = None, **adjustments):
    """A Waitress server for `app` on every address `host` resolves to, guarded by `limits`; `adjustments`
    are Waitress's own settings. Like `waitress.create_server`, it has `run()`, `close()`, and
    `effective_host`/`effective_port` (of the first address)."""
    limits = limits or Limits()
    adjustments.setdefault("cleanup_interval", 1)  # the bounds are checked every second
    adj = Adjustments(host=host, port=port, connection_limit=limits.total, **adjustments)
    channels: dict = {}
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    servers = [GuardedServer(app, channels, dispatcher=dispatcher, adj=adj, sockinfo=info) for info in adj.listen]
    for server in servers:
        server.limits = limits
    if len(servers) == 1:
        return servers[0]
    multi = MultiSocketServer(channels, adj, [(s.effective_host, s.effective_port) for s in servers], dispatcher,
                              servers[0].log_info)
    multi.effective_host, multi.effective_port = servers[0].effective_host, servers[0].effective_port
    return multi
