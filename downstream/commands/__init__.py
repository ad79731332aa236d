"""Subcommands of `seed` that belong to the benchmark suite (see seed/cli.py)."""
