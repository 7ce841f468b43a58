"""The import graph of store/: no cycles, no imports hidden inside functions to dodge
one, and nothing from the transports (SPEC: the rules live in store, which imports nothing
from bot/, handlers/, jobs/, Flask or wechatpy)."""
import ast
from pathlib import Path

import store

STORE = Path(store.__file__).parent
MODULES = {p.stem: p for p in STORE.glob("*.py") if p.stem != "__init__"}
OUTSIDE = ("bot", "handlers", "jobs", "menus", "flask", "wechatpy", "rq", "redis")


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, whether the import sits inside a function or class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, nested):
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                 ast.ClassDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
                if child.module == "store":
                    found.extend((f"store.{alias.name}", inner) for alias in child.names)
            visit(child, inner)
    visit(tree, False)
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        graph[name] = {module.split(".")[1] for module, _ in _imports(path)
                       if module.startswith("store.") and module.split(".")[1] in MODULES}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def walk(name, trail):
        state[name] = "open"
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                return trail[trail.index(dep):] + [dep]
            if dep not in state:
                found = walk(dep, trail + [dep])
                if found:
                    return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            found = walk(name, [name])
            if found:
                return found
    return None


def test_store_modules_import_each_other_without_cycles():
    graph = _graph()
    assert graph["workflow"] and graph["tasks"]  # the walk sees real edges
    assert _cycle(graph) is None, " → ".join(_cycle(graph))


def test_store_never_imports_a_store_module_inside_a_function():
    late = [(name, module) for name, path in MODULES.items()
            for module, nested in _imports(path) if nested and module.startswith("store")]
    assert late == []


def test_store_imports_nothing_from_the_transports():
    leaks = [(name, module) for name, path in MODULES.items() for module, _ in _imports(path)
             if module.split(".")[0] in OUTSIDE]
    assert leaks == []


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
