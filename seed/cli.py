"""The `seed` command. Every module in `seed.commands` and `downstream.commands` is a subcommand:
it defines NAME, HELP, `add_arguments(parser)` and `run(args)`, and imports heavy libraries only
inside run(). Adding a command is adding a file; nothing here changes."""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from types import ModuleType

COMMAND_PACKAGES = ("seed.commands", "downstream.commands")


def command_modules() -> dict[str, ModuleType]:
    """NAME -> module for every subcommand module, in name order."""
    found: dict[str, ModuleType] = {}
    for package_name in COMMAND_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            if module.NAME in found:
                raise RuntimeError(f"two modules define the command {module.NAME!r}")
            found[module.NAME] = module
    return dict(sorted(found.items()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seed", description="Self-supervised distillation of small backbones.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in command_modules().items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        sub.set_defaults(_run=module.run)
        module.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # argparse cannot interleave positionals with options ("a=1 --resume b=2"): KEY=VALUE
    # overrides found anywhere on the line join the command's overrides.
    overrides = [token for token in extra if "=" in token and not token.startswith("-")]
    if len(overrides) != len(extra) or (overrides and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if overrides:
        args.overrides = list(args.overrides) + overrides
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args._run(args) or 0)
    except USER_ERRORS as error:
        if os.environ.get("SEED_DEBUG"):
            raise
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"seed {args.command}: error: {type(error).__name__}: {message}\n"
              "(set SEED_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


# What bad input raises (our errors derive from these): reported as one line, not a traceback.
USER_ERRORS = (ValueError, KeyError, FileNotFoundError, FileExistsError, FloatingPointError, RuntimeError)


if __name__ == "__main__":
    sys.exit(main())
