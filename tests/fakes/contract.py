"""Every request a fake receives, checked against an OpenAPI document with openapi-core; failures that fakes are
told to answer with; a condition to wait on."""

from __future__ import annotations

import threading
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

OPENAPI = Path(__file__).resolve().parents[1] / "data" / "openapi"


def _details(error: BaseException) -> str:
    """The error and what it wraps (openapi-core keeps the schema errors in `schema_errors` of its causes)."""
    parts = [f"{type(error).__name__}: {str(error)[:300]}"]
    seen = error.__cause__ or error.__context__
    while seen is not None and len(parts) < 5:
        parts.append(f"{type(seen).__name__}: {str(seen)[:300]}")
        for schema_error in getattr(seen, "schema_errors", []) or []:
            parts.append(f"  {schema_error.message[:200]} at {list(schema_error.absolute_path)}")
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(parts)


class Contract:
    """The document (tests/data/openapi/<name>.yml), the violations found, and a log of every request."""

    def __init__(self, name: str) -> None:
        self.openapi = OpenAPI.from_file_path(str(OPENAPI / f"{name}.yml"))
        self.violations: list[str] = []
        self.log: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.changed = threading.Condition()
        self._failures: list[tuple[str, int]] = []
        self.hang_on: str | None = None  # a request whose path contains this waits for `release` (once)
        self.reached = threading.Event()
        self.release = threading.Event()

    def check(self, request) -> str | None:
        """A violation of the document by `request` (recorded), or None."""
        with self.changed:
            self.log.append((request.method, request.path))
        try:
            self.openapi.validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as error:  # noqa: BLE001 - any failure to validate is a violation to report
            found = f"{request.method} {request.path}: {_details(error)}"
            with self.changed:
                self.violations.append(found)
            return found
        return None

    def fail_next(self, status: int, path_contains: str = "", times: int = 1) -> None:
        """Answer the next `times` requests whose path contains `path_contains` with `status`."""
        with self.changed:
            self._failures.extend([(path_contains, status)] * times)

    def failure_for(self, path: str) -> int | None:
        with self.changed:
            for index, (part, status) in enumerate(self._failures):
                if part in path:
                    del self._failures[index]
                    return status
        return None

    def maybe_hang(self, path: str) -> bool:
        """Hold the first request to `hang_on` until released (the test kills its client meanwhile): True when
        it was held (the fake then answers nothing useful)."""
        if self.hang_on and self.hang_on in path and not self.reached.is_set():
            self.reached.set()
            self.release.wait(timeout=300)
            return True
        return False

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait(self, predicate, timeout: float = 120.0) -> None:
        """Until `predicate()` holds (checked whenever the fake's state changes); an assertion error if it never
        does (a generous bound: the test waits on the event, never on time)."""
        with self.changed:
            assert self.changed.wait_for(predicate, timeout=timeout), "the fake never reached the awaited state"
