"""adpilot's benchmarks: ``python -m bench`` runs them all, ``python -m bench <name>`` runs one.

Each benchmark measures adpilot against a baseline served in the same run on the same machine and prints
``BENCH <name> <value> <unit> baseline=<value> ratio=<value>`` lines, the module's headline figure last.
Performance is reported, never asserted. See docs/benchmarks.md for how to read the figures.
"""
