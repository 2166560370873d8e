"""Users' own tasks from existing benchmark files (config ``custom_tasks``), without code.

Two input formats, both with a header line:

- ``gue``: DNABERT-2's GUE benchmark, ``sequence,label`` CSV (raw bases);
- ``dnabert``: DNABERT's fine-tuning files, ``sequence<TAB>label`` TSV whose sequence is k-mer
  text (``ATG TGC GCA``, stride 1); a raw sequence (one field without spaces) is read as is.

``auto`` picks by the header's delimiter (a tab: dnabert, else gue). Validation, with errors
naming the file and 1-based line: the header's first two fields are ``sequence`` and ``label``;
labels are integers >= 0 and together start at 0; sequences are ``ACGTN`` (lower case is
upper-cased); k-mer text overlaps by k - 1. Lengths may vary; their range is reported.

:func:`import_custom_task` writes the project's layout ``{out_dir}/{train,dev,test}.tsv`` +
``summary.json`` keeping the user's splits (no de-duplication, no re-splitting; sequences shared
between splits are counted in the summary and logged). Provenance columns: ``chrom`` ``.``,
``start`` 0, ``end`` the sequence length, ``strand`` ``.``, ``source`` ``{file}:{line}``.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.datasets.common import COLUMNS, SPLITS, write_splits
from dnabert.seq import clean_sequence
from dnabert.tasks import is_builtin_task, reserved_names
from dnabert.tokenizer import read_kmer_text

log = logging.getLogger(__name__)

FORMATS = ("auto", "gue", "dnabert")


# The one rule for a user's task name; workflow/schemas/config.schema.yaml's custom_tasks
# propertyNames pattern is the same string (a test keeps them equal). A name becomes a directory
# (results/datasets/{name}) and a wildcard value, so no '/', no spaces, no leading '.' or '-'.
TASK_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]*$"


def check_task_name(name: str, where: str = "custom task ") -> None:
    """Raise ValueError unless ``name`` may name a user's task: it matches
    :data:`TASK_NAME_PATTERN` and is not a built-in task name; ``where`` prefixes the name in
    the message."""
    if not re.match(TASK_NAME_PATTERN, name):
        raise ValueError(
            f"{where}{name}: not a valid task name; expected a letter then letters, digits, "
            f"'_', '.' or '-' (pattern {TASK_NAME_PATTERN}): the name becomes a directory"
        )
    if is_builtin_task(name):
        raise ValueError(
            f"{where}{name}: the name is a built-in task name; choose another "
            f"(reserved: {reserved_names()})"
        )


def check_custom_task_names(config: dict) -> None:
    """Raise ValueError when a ``custom_tasks`` name collides with a built-in task name."""
    for name in config.get("custom_tasks") or {}:
        check_task_name(name, "custom_tasks.")


def detect_format(path: str | os.PathLike) -> str:
    """``dnabert`` when the header line holds a tab, else ``gue``."""
    with open(path) as fh:
        header = fh.readline()
    return "dnabert" if "\t" in header else "gue"


def _check_sequence(seq: str, where: str) -> str:
    seq = seq.strip()
    if not seq:
        raise ValueError(f"{where}: empty sequence")
    return clean_sequence(seq, where)


def _check_label(text: str, where: str) -> int:
    try:
        label = int(text.strip())
    except ValueError:
        raise ValueError(f"{where}: label {text!r} is not an integer") from None
    if label < 0:
        raise ValueError(f"{where}: label {label} is negative; labels are integers from 0")
    return label


def read_custom_file(path: str | os.PathLike, fmt: str = "auto") -> pd.DataFrame:
    """Read and validate one split file; returns ``sequence`` (upper-case ACGTN), ``label``
    (int64) and ``line`` (1-based line number in the file). Blank lines are skipped; an empty
    file or a file with only a header is an error."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"{path}: format must be one of {FORMATS}, got {fmt!r}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    fmt = detect_format(path) if fmt == "auto" else fmt
    delimiter = "\t" if fmt == "dnabert" else ","
    expected = "sequence<TAB>label" if fmt == "dnabert" else "sequence,label"
    seqs, labels, lines = [], [], []
    with open(path, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["sequence", "label"]:
            raise ValueError(
                f"{path}: line 1: header {header!r}; expected '{expected}' ({fmt} format)"
            )
        for fields in reader:
            lineno = reader.line_num
            if not fields or not "".join(fields).strip():
                continue
            where = f"{path}: line {lineno}"
            if len(fields) < 2:
                raise ValueError(f"{where}: {len(fields)} field(s); expected '{expected}'")
            text = fields[0]
            if fmt == "dnabert" and len(text.split()) > 1:
                text = read_kmer_text(text, record=where)
            seqs.append(_check_sequence(text, where))
            labels.append(_check_label(fields[1], where))
            lines.append(lineno)
    if not seqs:
        raise ValueError(f"{path}: no sequences after the header")
    return pd.DataFrame(
        {"sequence": seqs, "label": np.asarray(labels, dtype=np.int64), "line": lines}
    )


def read_custom_task(spec: dict) -> dict[str, pd.DataFrame]:
    """Read the ``train``/``dev``/``test`` files of one ``custom_tasks`` entry and check labels
    across splits (errors name the file and line): labels are ``0 .. n-1`` with none missing,
    dev/test hold no label absent from train, and every train label occurs in dev or test (a
    class seen only in training cannot be evaluated; left alone it would make, say, a 2-class
    task 3-class without a word)."""
    fmt = spec.get("format", "auto")
    parts = {name: read_custom_file(spec[name], fmt) for name in SPLITS}
    train_labels = set(parts["train"]["label"].tolist())
    low = min(int(p["label"].min()) for p in parts.values())
    if low != 0:
        raise ValueError(f"{spec['train']}: labels start at {low}; expected integers from 0")
    every = sorted(set().union(*(set(p["label"].tolist()) for p in parts.values())))
    gaps = sorted(set(range(every[-1] + 1)) - set(every))
    if gaps:
        raise ValueError(
            f"{spec['train']}, {spec['dev']}, {spec['test']}: labels {every} skip {gaps}; "
            "expected the integers 0 .. n-1 (one per class) with none missing"
        )
    for name in ("dev", "test"):
        df = parts[name]
        unseen = ~df["label"].isin(train_labels)
        if unseen.any():
            row = df.loc[unseen].iloc[0]
            raise ValueError(
                f"{spec[name]}: line {row['line']}: label {row['label']} does not occur in "
                f"{spec['train']} (train labels {sorted(train_labels)})"
            )
    evaluated = set(parts["dev"]["label"].tolist()) | set(parts["test"]["label"].tolist())
    train_only = ~parts["train"]["label"].isin(evaluated)
    if train_only.any():
        row = parts["train"].loc[train_only].iloc[0]
        raise ValueError(
            f"{spec['train']}: line {row['line']}: label {row['label']} occurs in train only "
            f"({int(train_only.sum())} rows), not in {spec['dev']} or {spec['test']} (labels "
            f"{sorted(evaluated)}); every class must be evaluated, or the task would silently "
            f"get {len(every)} classes"
        )
    return parts


def import_custom_task(
    name: str, spec: dict, out_dir: str | os.PathLike, config: dict | None = None
) -> dict:
    """Validate a user task and write it in the project's layout (see the module docstring).

    ``spec`` is one ``custom_tasks`` entry (``train``, ``dev``, ``test``, ``format``). Returns the
    summary written to ``summary.json`` (counts per class, length min/max/mean per split,
    ``shared_between_splits``, ``lengths_consistent``, the source files, provenance).
    """
    check_task_name(name)
    parts = read_custom_task(spec)
    frames = {}
    for split, df in parts.items():
        source = str(spec[split])
        frames[split] = pd.DataFrame(
            {
                "sequence": df["sequence"],
                "label": df["label"],
                "chrom": ".",
                "start": 0,
                "end": df["sequence"].str.len(),
                "strand": ".",
                "source": [f"{source}:{line}" for line in df["line"]],
            }
        )[COLUMNS]
    lengths = pd.concat([f["end"] for f in frames.values()])
    consistent = bool(lengths.min() == lengths.max())
    if not consistent:
        log.warning(
            "custom task %s: sequence lengths vary from %d to %d bp",
            name,
            lengths.min(),
            lengths.max(),
        )
    summary = write_splits(
        frames,
        out_dir,
        task=name,
        config=config,
        extra_summary={
            "custom": True,
            "format": spec.get("format", "auto"),
            "files": {split: str(spec[split]) for split in SPLITS},
            "lengths_consistent": consistent,
        },
    )
    if summary["shared_between_splits"]:
        log.warning(
            "custom task %s: %d sequences occur in more than one split (kept as given)",
            name,
            summary["shared_between_splits"],
        )
    return summary
