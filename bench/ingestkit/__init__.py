"""Pieces of the ingest benchmark (bench/bench_ingest.py): servers, load, checks, results."""
