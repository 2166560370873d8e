"""``dnabert`` subcommands, one module per pipeline stage."""

from __future__ import annotations

from pathlib import Path


def benchmark_script(name: str, cwd: Path | None = None) -> Path:
    """``benchmarks/<name>`` of the checkout: beside the package when it runs from ``src/``
    (editable install, PYTHONPATH), else in the working directory (a non-editable install run
    from a checkout). The benchmarks are development tools, not shipped with the package."""
    candidates = [
        Path(__file__).resolve().parents[3] / "benchmarks" / name,
        (cwd or Path.cwd()) / "benchmarks" / name,
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"benchmarks/{name} not found (looked in {', '.join(map(str, candidates))}): "
        "run from the project's checkout"
    )
