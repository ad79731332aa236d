"""Subcommands of the `seed` command line (see seed/cli.py)."""
