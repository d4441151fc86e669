"""The web app's core: sign-in, roles, CSRF, lockout, security headers, users, approval."""

from __future__ import annotations

pytest_plugins = ["webutil"]  # the `web` fixture


def test_pages_answer_their_role(web):
    for role, path in (("producer", "/episodes"), ("producer", "/upload"), ("producer", "/jobs"),
                       ("producer", "/publish"), ("scheduler", "/radio"), ("admin", "/users")):
        answer = web.client(role).get(path)
        assert answer.status_code == 200, (role, path, answer.get_data(as_text=True)[:300])
