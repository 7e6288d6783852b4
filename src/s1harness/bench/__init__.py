"""Benchmarks: rates of the harness's own operations as ratios to a bound measured in the same
run on the same machine, so figures compare across machines (``s1harness bench ...``)."""
