"""Per-entry time and verdict of an atlas run, as a markdown table (for docs/benchmarks.md).

    .venv/bin/python benchmarks/catalog_table.py runs/atlas-paper

Reads each entry's ``verdict.json`` (its provenance holds the wall time of training and judging; figures
and the report come on top) and sums the time per source document.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(root: str) -> None:
    rows, per_source = [], defaultdict(float)
    for path in sorted(Path(root).glob("*/verdict.json")):
        v = json.loads(path.read_text())
        p = v["provenance"]
        rows.append((v["source"], v["experiment"], v["verdict"], p["trials"], p["wall_time_s"]))
        per_source[v["source"]] += p["wall_time_s"]
    print("| source | entry | verdict | trials | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for source, name, verdict, trials, seconds in sorted(rows):
        print(f"| {source} | `{name}` | {verdict} | {trials} | {seconds:.0f} |")
    print()
    for source, seconds in sorted(per_source.items()):
        n = sum(1 for r in rows if r[0] == source)
        print(f"- {source}: {n} entries, {seconds / 60:.1f} minutes in total (each entry on one core)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/atlas-paper")
