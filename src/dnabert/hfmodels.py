"""Other DNA language models (config ``finetune.models``): any local Hugging Face directory with
its own tokenizer, fine-tuned like DNABERT.

A model directory holds ``config.json``, the weights and the tokenizer's files, as
``save_pretrained`` writes them, e.g. a Nucleotide Transformer checkpoint (``EsmForMaskedLM``
with an ``EsmTokenizer`` over non-overlapping 6-mers; transformers loads it natively) or a
DNABERT-2 checkpoint (BPE tokenizer, ``bert`` with ALiBi whose code ships in the directory: it
loads only with ``trust_remote_code: true``, which runs that code). The model is loaded with
``AutoModelForSequenceClassification`` and the tokenizer with ``AutoTokenizer``; the sequences are
tokenized by the model's own tokenizer, not k-merized.

Special tokens are found from the tokenizer itself (:func:`tokenizer_specials`): a probe sequence
is encoded with and without special tokens, and what comes before and after the bare tokens is
the prefix (``<cls>``) and suffix (``<eos>``, ``[SEP]``, or nothing) every piece is wrapped in.
This holds for slow tokenizers and for fast ones whose post-processor is a template.
:class:`Specials` also serves DNABERT (:data:`DNABERT_SPECIALS`, ``[CLS] ... [SEP]``, pad 0).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnabert.tokenizer import CLS_ID, PAD_ID, SEP_ID

# Files one of which every saved tokenizer has (fast: tokenizer.json; slow: a vocabulary).
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "vocab.json",
    "tokenizer.model",
)
# Architectures whose absolute positions start after the padding id (fairseq style), so
# ``max_position_embeddings - pad_token_id - 1`` positions are usable.
PADDING_OFFSET_MODELS = ("esm", "roberta", "xlm-roberta", "camembert")
PROBE = "ACGTACGTACGTACGTACGTACGTACGTAC"  # 30 bp: whole tokens for 1..6-mer and BPE vocabularies


@dataclass(frozen=True)
class Specials:
    """How a model's inputs are framed: ``prefix`` ids before and ``suffix`` ids after every
    piece of tokens, ``pad_id`` for padding."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    pad_id: int

    @property
    def n(self) -> int:
        """Special tokens per piece."""
        return len(self.prefix) + len(self.suffix)

    def wrap(self, body: np.ndarray) -> np.ndarray:
        """``prefix + body + suffix`` as an int64 array (1-D)."""
        return np.concatenate(
            [
                np.asarray(self.prefix, dtype=np.int64),
                np.asarray(body, dtype=np.int64),
                np.asarray(self.suffix, dtype=np.int64),
            ]
        )

    def pieces(self, ids: np.ndarray, max_length: int) -> list[np.ndarray]:
        """``ids`` cut into consecutive runs of ``max_length - n`` tokens (the last may be
        shorter), each wrapped; an empty input gives one piece of special tokens only."""
        body = max_length - self.n
        if body < 1:
            raise ValueError(f"max_length {max_length} leaves no room beside {self.n} specials")
        ids = np.asarray(ids)
        runs = [ids[s : s + body] for s in range(0, ids.size, body)] or [ids]
        return [self.wrap(r) for r in runs]


DNABERT_SPECIALS = Specials(prefix=(CLS_ID,), suffix=(SEP_ID,), pad_id=PAD_ID)


@dataclass(frozen=True)
class HFModelSpec:
    """One entry of ``finetune.models``: ``name`` (the run name in paths, tables and figures),
    ``path`` (the directory), ``trust_remote_code``, ``max_length`` (tokens per piece, special
    tokens included; None: the model's limit)."""

    name: str
    path: str
    trust_remote_code: bool = False
    max_length: int | None = None

    @classmethod
    def from_config(cls, name: str, entry: dict) -> HFModelSpec:
        return cls(
            name=name,
            path=str(entry["path"]),
            trust_remote_code=bool(entry.get("trust_remote_code", False)),
            max_length=entry.get("max_length"),
        )


def check_model_dir(path: str | os.PathLike) -> Path:
    """``path`` as a Path when it is a Hugging Face model directory with a tokenizer.

    Raises FileNotFoundError naming the directory when it, its ``config.json`` or every
    tokenizer file (:data:`TOKENIZER_FILES`) is missing.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: model directory not found")
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: no config.json (not a Hugging Face model directory)")
    if not any((path / name).exists() for name in TOKENIZER_FILES):
        raise FileNotFoundError(
            f"{path}: no tokenizer (none of {', '.join(TOKENIZER_FILES)}); save the model's "
            "tokenizer with save_pretrained into the same directory"
        )
    return path


def model_files(path: str | os.PathLike) -> list[str]:
    """The files of model directory ``path`` (config, weights, tokenizer; no hidden files),
    sorted, after :func:`check_model_dir` (which raises FileNotFoundError naming it)."""
    check_model_dir(path)
    return sorted(
        os.path.join(path, name)
        for name in os.listdir(path)
        if not name.startswith(".") and os.path.isfile(os.path.join(path, name))
    )


def quiet_third_party() -> None:
    """Turn off transformers' and huggingface_hub's progress bars and info chatter (weight
    loading, "newly initialized" notes) in pipeline runs; the project's own log lines and
    progress bar (``dnabert.train``) stay."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "warning")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # huggingface_hub's bars too
    hf_logging.set_verbosity_warning()


def load_tokenizer(path: str | os.PathLike, trust_remote_code: bool = False):
    """The directory's own tokenizer (``AutoTokenizer``); errors name the directory."""
    from transformers import AutoTokenizer

    path = check_model_dir(path)
    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: cannot load its tokenizer: {exc}") from exc


def tokenizer_specials(tokenizer) -> Specials:
    """The special tokens ``tokenizer`` frames one sequence with (see the module docstring).

    Raises ValueError when the bare tokens do not appear contiguously in the framed ones.
    """
    bare = tokenizer(PROBE, add_special_tokens=False)["input_ids"]
    framed = tokenizer(PROBE, add_special_tokens=True)["input_ids"]
    for start in range(len(framed) - len(bare) + 1):
        if framed[start : start + len(bare)] == bare:
            pad = tokenizer.pad_token_id
            if pad is None:
                raise ValueError(f"{type(tokenizer).__name__} has no pad token")
            return Specials(
                prefix=tuple(framed[:start]),
                suffix=tuple(framed[start + len(bare) :]),
                pad_id=int(pad),
            )
    raise ValueError(
        f"{type(tokenizer).__name__}: tokens with special tokens {framed} do not contain the "
        f"tokens without {bare}"
    )


def tokenize_with(tokenizer) -> Callable[[list[str], list[str]], list[np.ndarray]]:
    """``encode(sequences, records) -> [int64 ids without special tokens]`` by ``tokenizer``;
    a sequence whose tokens hold the unknown id raises ValueError naming its record."""
    unk = tokenizer.unk_token_id

    def encode(sequences: list[str], records: list[str]) -> list[np.ndarray]:
        out = []
        batch = 1024
        for s in range(0, len(sequences), batch):
            enc = tokenizer(sequences[s : s + batch], add_special_tokens=False, verbose=False)[
                "input_ids"
            ]
            for j, ids in enumerate(enc):
                ids = np.asarray(ids, dtype=np.int64)
                if unk is not None and "N" not in sequences[s + j] and (ids == unk).any():
                    raise ValueError(
                        f"{records[s + j]}: the tokenizer gives the unknown token for a sequence "
                        "of A, C, G, T only: is this a DNA model?"
                    )
                out.append(ids)
        return out

    return encode


def usable_positions(model_config) -> int | None:
    """Tokens the model's position embeddings allow (None: no limit recorded)."""
    n = getattr(model_config, "max_position_embeddings", None)
    if n is None:
        return None
    absolute = getattr(model_config, "position_embedding_type", "absolute") == "absolute"
    if absolute and model_config.model_type in PADDING_OFFSET_MODELS:
        n -= int(model_config.pad_token_id or 0) + 1
    return int(n)


def max_length_for(model_config, tokenizer, requested: int | None) -> int:
    """Tokens per piece: ``requested`` or the tokenizer's ``model_max_length`` (when set to a
    real value), capped by :func:`usable_positions`; ValueError when nothing gives a limit."""
    limits = [usable_positions(model_config)]
    tokenizer_max = getattr(tokenizer, "model_max_length", None)
    if tokenizer_max is not None and tokenizer_max < 1_000_000:  # unset: a huge sentinel
        limits.append(int(tokenizer_max))
    limits = [n for n in limits if n]
    if requested is not None:
        return min([int(requested), *limits])
    if not limits:
        raise ValueError("the model records no maximum length; set max_length for it")
    return min(limits)


def load_hf_classifier(
    path: str | os.PathLike, num_labels: int, dropout: float, trust_remote_code: bool = False
):
    """``AutoModelForSequenceClassification`` from a model directory (MLM or classifier).

    The classification head starts from the model's initializer under the current torch seed.
    ``dropout`` replaces the model's hidden / attention / classifier dropout where its config has
    those settings. Raises FileNotFoundError (see :func:`check_model_dir`) and ValueError naming
    the directory when its architecture has no sequence-classification head.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
    )
    from transformers.utils import logging as hf_logging

    path = check_model_dir(path)
    try:
        config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    except ValueError as exc:
        raise ValueError(f"{path}: cannot read config.json: {exc}") from exc
    auto_map = getattr(config, "auto_map", None) or {}
    remote = "AutoModelForSequenceClassification" in auto_map
    if remote and not trust_remote_code:
        # e.g. DNABERT-2: model_type 'bert' would load transformers' own BERT, silently
        # dropping what its shipped code does differently (ALiBi instead of positions)
        raise ValueError(
            f"{path}: the directory ships its own model code "
            f"({auto_map['AutoModelForSequenceClassification']}); set trust_remote_code: true "
            "to use it (this runs that code)"
        )
    native = config.model_type in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES
    if not (native or remote):
        raise ValueError(
            f"{path}: model type {config.model_type!r} ({', '.join(config.architectures or [])}) "
            "has no sequence-classification head (AutoModelForSequenceClassification)"
        )
    overrides = {"num_labels": num_labels}
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"):
        if hasattr(config, name):
            overrides[name] = dropout
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected here
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            path, trust_remote_code=trust_remote_code, **overrides
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    return model
