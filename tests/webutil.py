"""Web app test helpers: a workspace with one user per role, an app, and signed-in test clients.

    pytest_plugins = ["webutil"]  # in the test module: the `web` fixture

    def test_x(web):
        client = web.client("producer")        # signed in as producer `prod`
        client.post(url, data={..., "csrf_token": web.csrf(client)})
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field

import pytest

from studio.web import create_app
from studio.workspace.tree import Workspace
from studio.workspace.users import add_user

PASSWORDS = {"prod": "produser-rahasia-1", "prod2": "produser-rahasia-2", "sched": "penjadwal-rahasia",
             "admin": "admin-rahasia-123"}
ROLES = {"prod": "producer", "prod2": "producer", "sched": "scheduler", "admin": "admin"}
BY_ROLE = {"producer": "prod", "scheduler": "sched", "admin": "admin"}
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass
class Web:
    workspace: Workspace
    app: object
    clients: dict = field(default_factory=dict)

    def anonymous(self):
        return self.app.test_client()

    def login(self, name: str, password: str | None = None):
        """A new client signed in as `name` (asserts it worked)."""
        client = self.app.test_client()
        page = client.get("/login")
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
        answer = client.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                             "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        return client

    def client(self, role: str):
        """A client signed in with `role` (producer, scheduler, admin); `prod2` is a second producer."""
        name = BY_ROLE.get(role, role)
        if name not in self.clients:
            self.clients[name] = self.login(name)
        return self.clients[name]

    @staticmethod
    def csrf(client, path: str = "/login") -> str:
        """A CSRF token of `client`'s session (read from a page's meta tag)."""
        page = client.get(path, follow_redirects=True)
        found = CSRF_RE.search(page.get_data(as_text=True))
        assert found, f"no csrf-token on {path} ({page.status_code})"
        return found.group(1)


def sign_in(page, base: str, name: str) -> None:
    """Sign `name` in through the login form of the app at `base` in a browser tab, and wait until it has left it."""
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def make_web(workspace: Workspace, **overrides) -> Web:
    for name, role in ROLES.items():
        add_user(workspace, name, role, PASSWORDS[name])
    app = create_app(workspace, {"TESTING": True, "STUDIO_INDEX_MAX_AGE": 0, **overrides})
    return Web(workspace=workspace, app=app)


class Served:
    """An app under Waitress in a thread on a free loopback port: `url`, `port`; `close()` stops it."""

    def __init__(self, app, threads: int = 4):
        from waitress.server import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=threads)  # listening from here
        self.port = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """The sockets are closed by the loop's own thread (closed under a running select() from this one, they
        raise EBADF there), which then ends: its map is empty. Then the request threads end."""
        from waitress import wasyncore

        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the server's loop did not end"
        self.server.task_dispatcher.shutdown()


@contextlib.contextmanager
def served(app, threads: int = 4):
    """`with served(app) as base:` the app answering at the base URL `base` until the block ends."""
    server = Served(app, threads)
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def web(workspace) -> Web:
    """The `workspace` fixture (show `kpu`) with users prod, prod2 (producers), sched (scheduler), admin;
    an app in testing mode with CSRF on."""
    return make_web(workspace)


def run_next_job(workspace):
    """Run the local queue's next job in this process, as a worker would (and as it records it): its Job."""
    from studio.jobs.local import LocalQueue, run_job

    with LocalQueue(workspace) as queue:
        job = queue.claim("test:0")
        assert job is not None, "no job waiting"
        return run_job(queue, job)
