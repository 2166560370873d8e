"""The classifier a fine-tuning run trains: DNABERT's ``BertForSequenceClassification`` from a
pretrained (or, for the from-scratch control, freshly initialised) directory, and
:class:`Backbone`, what differs between DNABERT and another language model in a run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dnabert.hfmodels import Specials


def load_classifier(
    pretrained_dir: str | os.PathLike,
    k: int,
    num_labels: int,
    dropout: float,
    *,
    from_scratch: bool = False,
    pooling: str = "cls",
):
    """DNABERT's classifier (:class:`dnabert.pooling.DNABertForSequenceClassification`, a
    ``BertForSequenceClassification`` whose head reads ``pooling``: ``cls`` or ``mean``) from a
    Hugging Face directory (MLM or classifier).

    The vocabulary size must be ``4**k + 5`` (else ValueError naming the directory); a missing
    directory or ``config.json`` raises FileNotFoundError. The classification head (and the pooler,
    absent from MLM checkpoints) start from the model's initializer under the current torch seed.
    ``from_scratch``: only the directory's ``config.json`` is used; every weight starts from the
    initializer under the current torch seed (the from-scratch control of a pretrained model),
    the k-mer embeddings compositional when its pretraining started them so
    (``pretrain.model.kmer_embedding_init``).
    """
    from transformers import BertConfig

    from dnabert.pooling import CONFIG_KEY, DNABertForSequenceClassification, check_pooling
    from dnabert.tokenizer import check_model_k

    check_pooling(pooling)

    path = Path(pretrained_dir)
    check_model_k(path, k)
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected here
    overrides = {
        "num_labels": num_labels,
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
        "classifier_dropout": dropout,
    }
    try:
        if from_scratch:
            config = BertConfig.from_pretrained(path, **overrides)
            config._attn_implementation = "sdpa"
            setattr(config, CONFIG_KEY, pooling)
            model = DNABertForSequenceClassification(config)
            if getattr(config, "dnabert_kmer_embedding_init", "random") == "compositional":
                from dnabert.pretrain import compositional_kmer_embeddings

                embedding = model.get_input_embeddings()  # started as its pretraining did
                compositional_kmer_embeddings(embedding, k, config.initializer_range)
        else:
            model = DNABertForSequenceClassification.from_pretrained(
                path, attn_implementation="sdpa", **overrides
            )
            setattr(model.config, CONFIG_KEY, pooling)  # this run's head, whatever path held
    finally:
        hf_logging.set_verbosity(verbosity)
    return model


@dataclass
class Backbone:
    """What differs between DNABERT and another language model in a fine-tuning run.

    ``name``: the model recorded in ``metrics.json`` (``dnabert``, ``dnabert_scratch`` or the
    user's name); ``k``: DNABERT's k (None for other models); ``source``: the pretrained
    directory; ``init``: ``pretrained`` or ``scratch``; ``encode(sequences, records)``: token ids
    without special tokens (None: k-merize); ``load(num_labels, settings)``: the classifier for
    the run's ``finetune`` settings (dropout; DNABERT's ``pooling``);
    ``save_tokenizer(dir)``; ``max_length(model)``: tokens per piece for the loaded model.
    """

    name: str
    k: int | None
    source: str
    init: str
    specials: Specials
    load: Callable[[int, dict], torch.nn.Module]
    save_tokenizer: Callable[[Path], None]
    max_length: Callable[[torch.nn.Module], int]
    encode: Callable[[list[str], list[str]], list[np.ndarray]] | None = None
    tokenizer: str = "DNATokenizer"

    @property
    def label(self) -> str:
        return f"{self.name}{self.k}" if self.k is not None else self.name
