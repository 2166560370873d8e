"""The conda environments provide what each rule's code imports (conda is not available in CI).

Every rule of the workflow (loaded through Snakemake's API with the paper and the demo config)
must name an env file under envs/. Each env file must parse, list conda-forge and bioconda,
and pin every dependency to a version. The top-level modules imported by the rule's script,
or by the `python -m dnabert...` module its shell command runs, and transitively by every
`dnabert` module those import (at any depth, including imports inside functions), must be
provided by the rule's env. The standard library, `snakemake` (Snakemake puts its own package
on the script's path) and `dnabert` itself (imported from the checkout's src/, which the
workflow puts on PYTHONPATH) need no conda package.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
ENV_DIR = REPO / "envs"
REQUIRED_CHANNELS = {"conda-forge", "bioconda"}

# import name -> conda package names, any one of which provides it
CONDA_NAMES = {
    "sklearn": {"scikit-learn"},
    "yaml": {"pyyaml"},
    "torch": {"pytorch", "pytorch-gpu", "pytorch-cpu"},
    "PIL": {"pillow"},
    "Bio": {"biopython"},
}
# provided without a conda package (see the module docstring)
NOT_FROM_CONDA = {"dnabert", "snakemake"}
# executables a shell command may call -> the conda package providing them
EXECUTABLES = {"bedtools": "bedtools", "torchrun": "pytorch", "launch_torchrun.sh": "pytorch"}


def conda_packages(env: dict) -> set[str]:
    """Package names of an env's conda dependencies (`name=1.2`, `name==1.2`, `name>=1`...)."""
    names = set()
    for dep in env.get("dependencies", []):
        if isinstance(dep, str):
            names.add(re.split(r"[=<>!~ ]", dep.strip(), maxsplit=1)[0].split("::")[-1])
    return names


def unpinned(env: dict) -> list[str]:
    """Conda dependencies without an exact version (`name=1.2.3` or `name==1.2.3`)."""
    bad = []
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            bad += [f"pip: {item}" for item in dep.get("pip", []) if "==" not in item]
        elif not re.fullmatch(r"[A-Za-z0-9_.\-]+==?[0-9][^\s<>*]*", dep.strip()):
            bad.append(dep)
    return bad


def module_file(module: str) -> Path | None:
    """The source file of a `dnabert...` module in this checkout, or None."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Fully qualified modules a Python file imports anywhere in it (relative ones resolved).

    `package` is the file's package (for `from . import x`); `from a import b` yields both
    `a` and `a.b` (b may be a submodule).
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = (package or "").split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] if node.level > 1 else parts)
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module == "__future__":
                continue
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _shown(path: Path) -> str:
    """A path relative to the repository when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def third_party_imports(entry: Path | str) -> dict[str, str]:
    """Top-level non-stdlib imports reachable from a script path or a `dnabert...` module.

    Returns {top-level import name: the file that imports it}.
    """
    todo: list[tuple[Path, str | None]] = []
    if isinstance(entry, Path):
        todo.append((entry, None))
    else:
        todo += [(f, entry.rsplit(".", 1)[0]) for f in [module_file(entry)] if f]
    seen: set[Path] = set()
    needed: dict[str, str] = {}
    while todo:
        path, package = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in imported_modules(path, package):
            top = module.split(".")[0]
            if top == "dnabert":
                # importing dnabert.a.b runs dnabert/__init__, dnabert/a/__init__ and a/b
                parts = module.split(".")
                for i in range(1, len(parts) + 1):
                    name = ".".join(parts[:i])
                    file = module_file(name)
                    if file:
                        pkg = name if file.name == "__init__.py" else name.rsplit(".", 1)[0]
                        todo.append((file, pkg))
            elif top and top not in sys.stdlib_module_names:
                needed.setdefault(top, _shown(path))
    return needed


def missing_from_env(needed: dict[str, str], env: dict) -> list[str]:
    """Imports (as `name (from file)`) that no conda dependency of `env` provides."""
    have = conda_packages(env)
    missing = []
    for name, where in sorted(needed.items()):
        if name in NOT_FROM_CONDA:
            continue
        options = CONDA_NAMES.get(name, {name.lower().replace("_", "-")})
        if not options & have:
            missing.append(f"{name} (imported by {where})")
    return missing


def rule_entries(rule) -> tuple[list[Path | str], set[str]]:
    """(code entries, conda packages for executables) of a rule's script or shell command."""
    basedir = Path(str(rule.basedir))
    if rule.script:
        return [(basedir / rule.script).resolve()], set()
    entries: list[Path | str] = []
    executables = set()
    shell = rule.shellcmd or ""
    entries += re.findall(r"-m\s+(dnabert[\w.]*)", shell)
    # Python scripts named in the command (e.g. {SCRIPTS}/x.py) or passed in through params
    params = getattr(rule, "params", None) or []
    texts = [shell, *(value for value in params if isinstance(value, str))]
    for text in texts:
        for name in re.findall(r"[\w./-]+\.py\b", text):
            scripts = REPO / "workflow" / "scripts" / Path(name).name  # {SCRIPTS}/x.py in shell
            for candidate in (basedir / name, REPO / name, Path(name), scripts):
                if candidate.is_file():
                    entries.append(candidate.resolve())
                    break
    for exe, package in EXECUTABLES.items():
        if re.search(rf"(^|[\s/]){re.escape(exe)}\b", shell):
            executables.add(package)
    return entries, executables


def load_rules():
    """All rules of the workflow under the paper config and the demo config (by name)."""
    snakemake_api = pytest.importorskip("snakemake.api")
    from snakemake.settings.types import ConfigSettings, ResourceSettings

    rules = {}
    for config in ("config/config.yaml", "config/demo.yaml"):
        with snakemake_api.SnakemakeApi() as api:
            workflow = api.workflow(
                resource_settings=ResourceSettings(),
                config_settings=ConfigSettings(configfiles=[REPO / config]),
                snakefile=REPO / "Snakefile",
                workdir=REPO,
            )
            for rule in workflow._workflow.rules:  # no public accessor for the rule objects
                rules.setdefault(rule.name, rule)
    return rules


ENV_FILES = sorted(ENV_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_env_file_parses_and_pins_versions(env_file):
    env = yaml.safe_load(env_file.read_text())
    assert isinstance(env, dict) and env.get("dependencies"), f"{env_file}: no dependencies"
    assert set(env.get("channels", [])) >= REQUIRED_CHANNELS, f"{env_file}: channels"
    assert unpinned(env) == [], f"{env_file}: unpinned dependencies"
    assert "python" in conda_packages(env)


def test_every_rule_names_an_existing_env(rules):
    local = {"all"}
    for name, rule in rules.items():
        if name in local:
            continue
        assert rule.conda_env, f"rule {name} has no conda: directive"
        env_path = (Path(str(rule.basedir)) / str(rule.conda_env)).resolve()
        assert env_path.parent == ENV_DIR and env_path.is_file(), f"rule {name}: {env_path}"


def test_every_rule_env_provides_its_imports(rules):
    problems = []
    for name, rule in rules.items():
        if not rule.conda_env:
            continue
        env = yaml.safe_load((Path(str(rule.basedir)) / str(rule.conda_env)).read_text())
        entries, executables = rule_entries(rule)
        needed = {}
        for entry in entries:
            if isinstance(entry, Path) and not entry.is_file():
                continue  # a script still being written; its env is checked once it exists
            needed.update(third_party_imports(entry))
        missing = missing_from_env(needed, env)
        missing += [f"executable from {p}" for p in executables if p not in conda_packages(env)]
        if missing:
            problems.append(f"rule {name} ({rule.conda_env}): {missing}")
    assert problems == []


def test_checker_finds_a_missing_package(tmp_path):
    script = tmp_path / "step.py"
    script.write_text(
        "import os\nimport numpy as np\nfrom sklearn.metrics import roc_auc_score\n"
        "import snakemake\n\ndef f():\n    import pysam\n"
    )
    needed = third_party_imports(script)
    assert set(needed) == {"numpy", "sklearn", "pysam", "snakemake"}
    env = {"dependencies": ["python=3.11", "numpy=1.26.4", "scikit-learn=1.5.2"]}
    assert missing_from_env(needed, env) == [f"pysam (imported by {script})"]
    env["dependencies"].append("pysam=0.22.1")
    assert missing_from_env(needed, env) == []


def test_checker_follows_dnabert_imports_transitively(tmp_path):
    # the script itself imports no third-party module; dnabert.genome imports pysam
    script = tmp_path / "step.py"
    script.write_text("import logging\nfrom dnabert.genome import index_genome\n")
    needed = third_party_imports(script)
    assert needed["pysam"] == "src/dnabert/genome.py"
    assert "dnabert" not in missing_from_env(needed, {"dependencies": []})
    missing = missing_from_env(needed, {"dependencies": ["python=3.11"]})
    assert "pysam (imported by src/dnabert/genome.py)" in missing


def test_shell_rules_are_checked_through_their_module():
    class ShellRule:
        basedir = REPO / "workflow" / "rules"
        script = None
        shellcmd = "bash launch_torchrun.sh 2 -m dnabert.genome --x 1 > {log} 2>&1"

    entries, executables = rule_entries(ShellRule())
    assert entries == ["dnabert.genome"] and executables == {"pytorch"}
    assert "pysam" in third_party_imports("dnabert.genome")


def test_shell_rules_are_checked_through_scripts_in_params(tmp_path):
    train = tmp_path / "train.py"
    train.write_text("import torch\nfrom dnabert.genome import index_genome\n")

    class ShellRule:
        basedir = REPO / "workflow" / "rules"
        script = None
        params = [str(train), 7]
        shellcmd = "launch=python; $launch {params.script} > {log} 2>&1"

    entries, _ = rule_entries(ShellRule())
    assert entries == [train.resolve()]
    needed = third_party_imports(train)
    assert {"torch", "pysam"} <= set(needed)
    env = {"dependencies": ["python=3.11", "pytorch-gpu=2.4.1", "pysam=0.22.1"]}
    assert missing_from_env(needed, env) == []


def test_unpinned_and_channels_are_detected():
    env = {"dependencies": ["python=3.11", "numpy", "pandas>=2", {"pip": ["tqdm"]}]}
    assert unpinned(env) == ["numpy", "pandas>=2", "pip: tqdm"]
