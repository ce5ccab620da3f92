"""Per-node times of a dbt run, from its run_results.json (not a test).

    python bench/node_times.py [RUN_RESULTS]            one run, slowest node first
    python bench/node_times.py BEFORE.json AFTER.json   two runs side by side, with the change

RUN_RESULTS defaults to target/run_results.json. Each node shows dbt's execution time (compile +
execute + its own bookkeeping) and, of it, the seconds spent executing SQL. Totals: dbt's elapsed
time (from the first hook to the last node, without start-up and parsing), the nodes' wall span
(first node started to last node finished), and the sum of node times, which exceeds the span
when threads overlap. Copy target/run_results.json aside after each run to compare two runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    seconds: float
    execute_seconds: float
    status: str


@dataclass(frozen=True)
class Run:
    path: Path
    elapsed: float
    span: float
    nodes: dict[str, Node]

    @property
    def node_sum(self) -> float:
        return sum(n.seconds for n in self.nodes.values())


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _node(result: dict) -> Node:
    unique_id = result["unique_id"]
    kind, _, rest = unique_id.partition(".")
    name = rest.split(".", 1)[1] if "." in rest else rest
    execute = sum((_stamp(t["completed_at"]) - _stamp(t["started_at"])).total_seconds()
                  for t in result.get("timing", []) if t["name"] == "execute"
                  and t.get("started_at") and t.get("completed_at"))
    return Node(name, kind, float(result["execution_time"]), execute, result["status"])


def read_run(path: Path) -> Run:
    """One run_results.json; stops with the file and what is missing if it is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"{path}: cannot read a run_results.json ({exc})") from exc
    if not isinstance(data, dict) or "results" not in data or "elapsed_time" not in data:
        raise SystemExit(f"{path}: expected dbt's run_results.json (keys 'results' and "
                         f"'elapsed_time'), found {sorted(data)[:5] if isinstance(data, dict) else type(data).__name__}")
    nodes = {r["unique_id"]: _node(r) for r in data["results"]}
    stamps = [(_stamp(t["started_at"]), _stamp(t["completed_at"]))
              for r in data["results"] for t in r.get("timing", [])
              if t.get("started_at") and t.get("completed_at")]
    span = ((max(end for _, end in stamps) - min(start for start, _ in stamps)).total_seconds()
            if stamps else 0.0)
    return Run(path, float(data["elapsed_time"]), span, nodes)


def _totals(run: Run) -> list[tuple[str, float]]:
    return [("dbt elapsed (hooks + nodes)", run.elapsed), ("nodes' wall span", run.span),
            (f"sum of {len(run.nodes)} node times", run.node_sum)]


def report_one(run: Run, width: int = 78) -> str:
    lines = [f"{run.path}", f"{'node':<{width}} {'type':<9} {'s':>7} {'sql s':>7}"]
    for node in sorted(run.nodes.values(), key=lambda n: -n.seconds):
        flag = "" if node.status in ("success", "pass") else f"  [{node.status}]"
        lines.append(f"{node.name[:width]:<{width}} {node.kind:<9} {node.seconds:7.2f} "
                     f"{node.execute_seconds:7.2f}{flag}")
    lines += [f"{label:<{width + 10}} {value:7.2f}" for label, value in _totals(run)]
    return "\n".join(lines)


def report_two(before: Run, after: Run, width: int = 78) -> str:
    ids = sorted(set(before.nodes) | set(after.nodes),
                 key=lambda i: -max(before.nodes[i].seconds if i in before.nodes else 0.0,
                                    after.nodes[i].seconds if i in after.nodes else 0.0))
    lines = [f"before: {before.path}", f"after:  {after.path}",
             f"{'node':<{width}} {'type':<9} {'before':>7} {'after':>7} {'change':>7}"]

    def cell(run: Run, node_id: str) -> str:
        return f"{run.nodes[node_id].seconds:7.2f}" if node_id in run.nodes else f"{'-':>7}"

    for node_id in ids:
        node = before.nodes.get(node_id) or after.nodes[node_id]
        change = (f"{after.nodes[node_id].seconds - before.nodes[node_id].seconds:+7.2f}"
                  if node_id in before.nodes and node_id in after.nodes else f"{'':>7}")
        lines.append(f"{node.name[:width]:<{width}} {node.kind:<9} {cell(before, node_id)} "
                     f"{cell(after, node_id)} {change}")
    for (label, b), (_, a) in zip(_totals(before), _totals(after)):
        lines.append(f"{label.replace(str(len(before.nodes)), 'n'):<{width + 10}} "
                     f"{b:7.2f} {a:7.2f} {a - b:+7.2f}")
    lines.append(f"{'nodes':<{width + 10}} {len(before.nodes):7d} {len(after.nodes):7d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="run_results.json (one, or two: before and after)")
    args = parser.parse_args(argv)
    files = args.files or [Path("target/run_results.json")]
    if len(files) > 2:
        parser.error("give one run_results.json, or two (before, after)")
    runs = [read_run(f) for f in files]
    print(report_one(runs[0]) if len(runs) == 1 else report_two(*runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
