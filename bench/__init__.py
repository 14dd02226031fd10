"""Benchmarks, run from the repo root: `.venv/bin/python -m bench.help_page`."""
