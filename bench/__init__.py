"""Measurement tooling beside the product (not installed with it): the benchmark, the soak, the load
generator and the server process they drive. Run from the project root: `python -m bench --help`."""
