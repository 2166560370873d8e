"""Commands for resources: download, genome indexing, the demo data generator."""

from __future__ import annotations


def add_parser(sub) -> None:
    pass
