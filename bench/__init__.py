"""`make bench`: inquick's throughput, latency, queries and scaling, against a raw floor.

The bench loads a synthetic health system into PostgreSQL, serves it with the app and
with a framework-free floor (`bench.floor`) under the same gunicorn settings, drives both
with a load generator, and writes the figures to `bench/results/`.
"""
