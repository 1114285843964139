"""Print the package-level import graph of src/xiaonuan as a Mermaid flowchart, grouped by the layers of
tests/test_architecture.py (the diagram in docs/architecture.md is this script's output).

    .venv/bin/python tools/import_graph.py          # edges into the foundation layer left out (everything uses it)
    .venv/bin/python tools/import_graph.py --all    # every edge

A node is a package (speech, motion, face, avatar, canvas, cli, ui) or a top-level module; an edge A → B
means some module of A imports some module of B. Edges inside one layer are drawn; the layer order says
which way every edge must point.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _architecture():
    """tests/test_architecture.py as a module: its import reader and its layer table are the one source."""
    spec = importlib.util.spec_from_file_location("test_architecture", ROOT / "tests" / "test_architecture.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _node(name: str) -> str:
    return name.split(".")[0] or "xiaonuan"


def main() -> None:
    arch = _architecture()
    everything = "--all" in sys.argv
    edges = sorted({(_node(a), _node(b)) for a, bs in arch.GRAPH.items() for b in bs if _node(a) != _node(b)
                    and (everything or arch._layer(b) != 0)})
    layer_of: dict[str, int] = {}  # a package sits at its highest module's layer (motion.expression is lower)
    for name in arch.MODULES:
        layer = arch._layer(name)
        layer_of[_node(name)] = max(layer_of.get(_node(name), -1), -1 if layer is None else layer)
    nodes: dict[int, set[str]] = {}
    for node, layer in layer_of.items():
        nodes.setdefault(layer, set()).add(node)
    out = ["flowchart BT"]
    for i in sorted(nodes):
        title = arch.LAYERS[i][0] if i >= 0 else "no layer"
        out.append(f'  subgraph L{i + 1}["{i + 1}. {title}"]')
        out += [f"    {n.strip('_')}[{n}]" for n in sorted(nodes[i])]
        out.append("  end")
    out += [f"  {a.strip('_')} --> {b.strip('_')}" for a, b in edges]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
