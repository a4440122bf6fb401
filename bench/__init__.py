"""ctsim's benchmark: ``python -m bench`` (or ``make bench``) from the repository root.

It measures, in one run: per-task orchestration overhead on kfp.local, scenario wall
time, the drift check against lake size (sketches vs scipy's exact recomputation),
peak memory, suite scaling with worker processes, and scenario wall time against
ticks and rows per tick. It prints one table and writes the figures as JSON
(``bench/results/latest.json`` unless ``--out`` says otherwise). ``--quick`` uses
small sizes and finishes in about two minutes.

Modules: ``stats`` (pure arithmetic on timings), ``plan`` (sizes per mode and the
generated scenarios), ``drift`` (the drift check), ``scenarios`` (scenario runs in
worker processes), ``startup`` (fresh-interpreter import costs), ``table`` (rendering).
"""
