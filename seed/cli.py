"""The `seed` command. Its subcommands live in command packages: `seed.commands`, plus every package
that another distribution (the benchmark suite `downstream`, a plug-in) names in the `seed.commands`
entry-point group. Every module in such a package is a subcommand: it defines NAME, HELP,
`add_arguments(parser)` and `run(args)`, and imports heavy libraries only inside run(). Adding a
command is adding a file; nothing here changes, and `seed` never imports the packages that extend it.
A registered package that fails to import is left out with a warning; every other command works.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

from seed.errors import report_errors
from seed.extensions import load_extensions

COMMAND_GROUP = "seed.commands"
OWN_COMMANDS = "seed.commands"


def package_modules(package_name: str) -> list[ModuleType]:
    """The modules of a command package (every one a subcommand), imported."""
    package = importlib.import_module(package_name)
    return [importlib.import_module(f"{package_name}.{info.name}") for info in pkgutil.iter_modules(package.__path__)]


def command_modules() -> dict[str, ModuleType]:
    """NAME -> module for every subcommand module, in name order."""
    registered = load_extensions(COMMAND_GROUP, lambda entry: (entry.value, package_modules(entry.value)))
    packages = dict([(OWN_COMMANDS, package_modules(OWN_COMMANDS)), *registered])
    found: dict[str, ModuleType] = {}
    for modules in packages.values():
        for module in modules:
            if module.NAME in found:
                raise RuntimeError(f"{found[module.NAME].__name__} and {module.__name__} both define "
                                   f"the command {module.NAME!r}")
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
    return report_errors(f"seed {args.command}", lambda: args._run(args))


if __name__ == "__main__":
    sys.exit(main())
