"""Command-line entry point: ``dnabert <command> ...``.

Every pipeline step can run without Snakemake through one of these commands; each command
module exposes ``add_parser(subparsers)`` which registers the command and sets ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from dnabert import __version__

# Modules that register subcommands, in the order they appear in --help.
COMMAND_MODULES = [
    "dnabert.commands.resources",
    "dnabert.commands.demo",
    "dnabert.commands.datasets",
    "dnabert.commands.splicetf",
    "dnabert.commands.pretrain",
    "dnabert.commands.tokenize",
    "dnabert.commands.baselines",
    "dnabert.commands.report",
    "dnabert.commands.finetune",
    "dnabert.commands.variants",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dnabert", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # transformers' weight-loading bars and notes; ours stay
        from dnabert.hfmodels import quiet_third_party

        quiet_third_party()
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as exc:  # user-facing errors: one clear line, no traceback
        logging.getLogger("dnabert").error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
