"""Times networkx.pagerank on the graph `commons-bench value` wrote, for its baseline.

Reads DIR/graph.csv (source,target,weight), DIR/personalization.csv (node,weight) and
DIR/nodes.txt (one node id per line, in the benchmark's node order). Parallel rows are
summed into one edge, as commons-value does, before the DiGraph is built, and the graph
is built by adding the rows' edges in file order, so its nodes come in the same order as
commons-value numbers them. Times nx.pagerank (which converts the graph to a scipy
sparse array, then iterates) REPEATS times, writes the scores of the last run as
little-endian float64 in nodes.txt order to DIR/networkx-scores.f64, times the
conversion to a scipy sparse array alone (the first step of nx.pagerank) and prints a
JSON report on standard output.

Usage: bench_value_networkx.py DIR REPEATS
"""

import csv
import json
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import scipy


def main() -> None:
    directory = Path(sys.argv[1])
    repeats = int(sys.argv[2])

    start = time.perf_counter()
    weights: dict[tuple[str, str], float] = {}
    with open(directory / "graph.csv", newline="") as file:
        rows = csv.reader(file)
        header = next(rows)
        assert header == ["source", "target", "weight"], header
        for source, target, weight in rows:
            key = (source, target)
            weights[key] = weights.get(key, 0.0) + float(weight)
    graph = nx.DiGraph()
    graph.add_weighted_edges_from((s, t, w) for (s, t), w in weights.items())
    personalization: dict[str, float] = {}
    with open(directory / "personalization.csv", newline="") as file:
        rows = csv.reader(file)
        assert next(rows) == ["node", "weight"]
        for node, weight in rows:
            personalization[node] = float(weight)
    build_s = time.perf_counter() - start

    times = []
    scores = None
    for _ in range(repeats):
        start = time.perf_counter()
        scores = nx.pagerank(graph, alpha=0.85, personalization=personalization)
        times.append(time.perf_counter() - start)

    # The part of pagerank's time spent converting the graph to a scipy sparse array
    # (pagerank does this first, with the same arguments), for the report.
    conversion = []
    for _ in range(repeats):
        start = time.perf_counter()
        nx.to_scipy_sparse_array(graph, nodelist=list(graph), weight="weight", dtype=float)
        conversion.append(time.perf_counter() - start)

    nodes = (directory / "nodes.txt").read_text().splitlines()
    same_order = list(graph) == nodes
    np.array([scores[node] for node in nodes], dtype="<f8").tofile(
        directory / "networkx-scores.f64"
    )
    json.dump(
        {
            "networkx": nx.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "n_nodes": graph.number_of_nodes(),
            "n_edges": graph.number_of_edges(),
            "build_s": build_s,
            "pagerank_s": times,
            "conversion_s": conversion,
            "same_node_order": same_order,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
