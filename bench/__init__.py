"""Load benchmark of the HTTP service: `make bench` (python -m bench.load)."""
