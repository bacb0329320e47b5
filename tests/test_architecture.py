"""The layout the README's architecture section describes: who owns what, and no import cycle."""
import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tiers_lieu"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources():
    return {module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


def imported_modules(name, path, known):
    """The package's modules that this module imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in known and module != name}


def import_graph():
    known = sources()
    return {name: imported_modules(name, path, known) for name, path in known.items()}


def cycles(graph):
    """Every strongly connected group of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_relative_imports():
    graph = import_graph()
    assert "tiers_lieu.booking.models" in graph["tiers_lieu.booking.opening"]
    assert "tiers_lieu.core.centre" in graph["tiers_lieu.booking.opening"]
    assert "tiers_lieu.desk.blueprint" in graph["tiers_lieu.desk.reception.views"]


def test_no_module_imports_itself_back():
    """Not even inside a function: a cycle means two modules own one thing between them."""
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_centre_is_imported_downwards_only():
    """core.centre sits at the bottom: it imports no domain (database holds only the UTC column type)."""
    assert import_graph()["tiers_lieu.core.centre"] <= {"tiers_lieu.extensions", "tiers_lieu.settings_cache",
                                                        "tiers_lieu.database"}


def code_matching(pattern):
    regex = re.compile(pattern)
    return sorted(f"{module_name(path)}:{number}" for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
                  for number, line in enumerate(path.read_text().splitlines(), start=1) if regex.search(line))


def test_each_status_group_is_named_once():
    """Lists of booking statuses are written in booking.models only; everyone else asks it."""
    groups = code_matching(r"BookingStatus\.\w+(\.value)?\s*,\s*BookingStatus\.")
    assert len(groups) == 4 and {entry.split(":")[0] for entry in groups} == {"tiers_lieu.booking.models"}


def test_active_topics_are_asked_in_one_place():
    queries = code_matching(r"Topic\.active\.is_\(True\)")
    assert queries and {entry.split(":")[0] for entry in queries} == {"tiers_lieu.booking.topics"}


def test_only_their_owners_write_opening_hours_closures_and_call_backs():
    writers = code_matching(r"(OpeningRule|Closure|CallbackRequest)\((start_date|topic_id|weekday)|update\((CallbackRequest|OpeningRule|Closure)\)")
    assert {entry.split(":")[0] for entry in writers} <= {"tiers_lieu.booking.opening", "tiers_lieu.booking.callbacks",
                                                          "tiers_lieu.booking.demo", "tiers_lieu.stats.history"}
