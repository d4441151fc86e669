"""The package layering of docs/architecture.md: imports point down, never up, and there is no cycle.

Read from the source with ast (no import runs), so the test also covers modules that import lazily."""

from __future__ import annotations

import ast
from pathlib import Path

STUDIO = Path(__file__).resolve().parents[1] / "studio"

# Lowest first: a package may import its own modules and any package of a lower layer.
LAYERS = [
    {"studio", "studio.errors", "studio.data"},
    {"studio.fsutil", "studio.progress", "studio.httpserver"},  # httpserver: Waitress, guarded
    {"studio.media"},  # bytes and ffmpeg; knows no episode
    {"studio.transcribe"},  # speech to words
    {"studio.speakers"},  # who speaks when (issue 27): turns and voice prints; knows no episode
    {"studio.text"},  # pure text rules over words and sentences
    {"studio.captions"},  # cues and their file formats
    {"studio.clips"},  # a captioned video from audio, cues and artwork
    {"studio.workspace"},  # the folders, settings, episodes, state, index
    {"studio.pipeline"},  # the stages over one episode's context
    {"studio.review"},  # what the episode page shows and changes
    {"studio.radio"},
    {"studio.publish"},
    {"studio.stats"},  # listener statistics: access logs in, counts out (studio serve gets its writer from the CLI)
    {"studio.jobs"},
    {"studio.web", "studio.doctor"},  # the producer web app; the checks of `studio doctor`
    {"studio.cli"},  # click: parse, call, print
    {"studio.__main__"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(STUDIO.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node, but those under `if TYPE_CHECKING:` (names for annotations, not imports that run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in ast.walk(child))
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(path: Path) -> set[str]:
    """The studio modules or packages `path` imports when it runs (absolute names)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "studio" or target.startswith("studio."):
                found.update(f"{target}.{a.name}" for a in node.names)
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("studio"))
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in STUDIO.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        edges[name] = {target for target in imports(path) if target in modules and target != name}
    return edges


def layer(name: str) -> int:
    best = None
    for index, members in enumerate(LAYERS):
        for member in members:
            if (name == member or name.startswith(member + ".")) and (best is None or len(member) > len(best[1])):
                best = (index, member)
    assert best is not None, f"{name} is in no layer: add it to LAYERS"
    return best[0]


def top_package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


def test_every_module_is_in_a_layer():
    for name in graph():
        layer(name)


def test_imports_point_down():
    upward = []
    for name, targets in graph().items():
        for target in targets:
            if top_package(target) == top_package(name) or target == "studio":
                continue  # within one package; `from studio import __version__`
            if layer(target) >= layer(name):
                upward.append(f"{name} -> {target}")
    assert not upward, "imports that do not point down:\n" + "\n".join(sorted(upward))


def test_no_import_cycle():
    edges = graph()
    # Within a package a module imports its siblings; ignore a package's own __init__ re-exports.
    edges = {n: {t for t in ts if not (n.startswith(t + ".") or t.startswith(n + "."))} for n, ts in edges.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [node, target]) if target in path
                              else f"{node} -> {target}")
            elif target not in state:
                visit(target, path + [node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
