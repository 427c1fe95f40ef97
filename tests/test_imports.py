"""The import graph of ``bot/``: one direction of dependency, from the outside in, no loops.

Every import counts: at module level, inside a function, and under ``TYPE_CHECKING`` (a loop
that only type checkers see is still a loop a reader has to walk). Importing ``bot.a.b`` also
runs the packages above it (``bot.a``), so those count too, except a module's own packages
(they are being imported already when it runs)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BOT = REPO / "bot"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imported(name: str) -> Iterator[tuple[str, int]]:
    """``(module, line)`` for every module ``name`` imports (within ``bot`` or outside it)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:  # ``from bot.x import y``: the submodule y, if it is one
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno


def edges(name: str) -> set[str]:
    """The modules of ``bot`` that importing ``name`` runs directly."""
    own = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
    out: set[str] = set()
    for raw, _ in imported(name):
        target = raw
        while target and target not in MODULES:  # ``import bot.x.y`` of a name, not a module
            target = target.rpartition(".")[0]
        if not target.startswith("bot"):
            continue
        parts = target.split(".")
        for n in range(1, len(parts) + 1):
            step = ".".join(parts[:n])
            if step != name and (step not in own or step == target):
                out.add(step)
    return out


GRAPH = {name: edges(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or with a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_is_read():
    assert len(MODULES) > 60
    assert "bot.services.app" in GRAPH["bot.chat.client"]
    assert "bot.store.base" in GRAPH["bot.store.sqlite.db"]
    assert "bot.services" in GRAPH["bot.cli.common"]  # the package above runs first
    assert "bot.store" not in GRAPH["bot.store.sqlite.db"]  # its own: running already


def test_no_import_loops_anywhere_in_bot():
    assert cycles(GRAPH) == []


def test_the_check_finds_a_loop():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"], ["d"]]


# What each layer may import of ``bot`` (besides itself): one direction, from the outside in.
ALLOWED = {
    "core": set(),
    "store": {"core"},
    "services": {"core", "store", "settings"},
    "chat": {"core", "store", "services", "settings", "logs"},
    "cli": {"core", "store", "services", "settings", "logs", "chat"},
}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) in ALLOWED))
def test_each_layer_imports_only_the_layers_inside_it(name):
    mine = layer(name)
    for target in GRAPH[name]:
        other = layer(target)
        if other and other != mine:
            assert other in ALLOWED[mine], f"{name} imports {target}"


def test_core_does_no_io_and_services_never_touch_discord():
    for name in MODULES:
        outside = {t.split(".")[0] for t, _ in imported(name)}
        if layer(name) == "core":
            assert not outside & {"discord", "aiohttp", "sqlite3", "aiosqlite", "asyncio"}, name
        if layer(name) == "services":
            assert "discord" not in outside, f"{name} imports discord"
        if layer(name) != "store":  # SQL and its drivers live in bot/store only
            assert not outside & {"sqlite3", "aiosqlite"}, f"{name} imports a database driver"


def test_the_command_line_reaches_discord_only_through_its_entry_point():
    for name in MODULES:
        if layer(name) == "cli":
            chat = {t for t in GRAPH[name] if layer(t) == "chat"}
            assert chat <= {"bot.chat", "bot.chat.entry"}, f"{name} imports {chat}"
    entry = {t for t, _ in imported("bot.chat.entry") if t.startswith("bot.chat")}
    assert not any(".cog" in t or t.endswith((".dm", ".privacy", ".admin")) for t in entry)
