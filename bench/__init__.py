"""Bazaar's benchmark suite: reproducible, side-by-side measurements of the platform.

Run it with `./scripts/bench [scenario ...]` (or `python -m bench --help`). Each scenario lives in
its own module (`p1_category_page`, `p2_gateway_overhead`, ...); the shared pieces are the
platform launcher (`platform`), the load generator (`wrk`), statistics (`stats`), the result
model (`results`) and the report writer (`report`, `plots`). The machine is small and shared, so
every scenario alternates its candidates round by round and reports medians and ratios: the
ratios are the finding, the absolute numbers are context.
"""
