"""Approximate (faiss HNSW) vs exact top-k search over 1,000,000 item vectors.

Synthetic 64-dimensional item vectors drawn around 1,000 cluster centres (item
embeddings cluster by topic; uniformly random vectors would be an unrealistically
hard case for any index), queries drawn the same way. Prints the build time,
recall@10 of the approximate index against exact search, and query speed one query
at a time (how a serving system sees them) and in batches.

    python benchmarks/bench_retrieval.py [--n-items 1000000] [--ef-search 64]
"""

import time

import numpy as np

from _common import command_line, parse_args, print_table, timed
from sklearn_attnrec.retrieval import ExactIndex, HNSWIndex


def clustered(rng, n, dim, centres):
    vectors = centres[rng.integers(0, len(centres), n)]
    return (vectors + 0.5 * rng.normal(size=(n, dim))).astype(np.float32)


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--n-items": {"type": int, "default": 1_000_000},
            "--ef-search": {"type": int, "default": 64},
            "--metric": {"default": "cosine", "choices": ["cosine", "dot"]},
        },
    )
    rng = np.random.default_rng(0)
    dim, k = 64, 10
    centres = rng.normal(size=(1000, dim))
    items = clustered(rng, args.n_items, dim, centres)
    queries = clustered(rng, 1000, dim, centres)
    ids = np.arange(args.n_items)

    exact, exact_build = timed(ExactIndex(args.metric).add, items, ids)
    hnsw, hnsw_build = timed(
        HNSWIndex(args.metric, ef_search=args.ef_search).add, items, ids
    )

    single = queries[:200]
    rows, results = [], {}
    for name, index, build in [
        ("exact (matrix product)", exact, exact_build),
        (f"HNSW (faiss, ef_search={args.ef_search})", hnsw, hnsw_build),
    ]:
        start = time.perf_counter()
        for query in single:
            index.search(query[None, :], k)
        one_ms = (time.perf_counter() - start) / len(single) * 1000
        (found, _), batch_s = timed(index.search, queries, k)
        results[name] = (found, one_ms, batch_s)
        rows.append(
            (name, f"{build:.1f}", f"{one_ms:.3f}", f"{len(queries) / batch_s:,.0f}")
        )
    exact_found = results["exact (matrix product)"][0]
    approx_name = rows[1][0]
    approx_found = results[approx_name][0]
    recall = np.mean(
        [len(set(a) & set(b)) / k for a, b in zip(approx_found, exact_found)]
    )
    print(f"{args.n_items:,} items x {dim} dims, metric={args.metric}, k={k}\n")
    print_table(["index", "build s", "ms per single query", "batched queries/s"], rows)
    speedup = results["exact (matrix product)"][1] / results[approx_name][1]
    batch_speedup = results["exact (matrix product)"][2] / results[approx_name][2]
    print(f"\nrecall@{k} of HNSW against exact search: {recall:.4f}")
    print(
        f"single-query speed-up: {speedup:.1f}x; batched speed-up: {batch_speedup:.1f}x"
    )
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
