"""What DNABERT's classification head reads: ``[CLS]`` (the paper's) or the mean of the k-mers.

``finetune.pooling`` picks it and the fine-tuned model's ``config.json`` records it
(``dnabert_pooling``), so everything that loads the model back (DNABERT-viz, mutagenesis, variant
scoring, a cross-species start) reads the sequence the way it was trained to:

* ``cls``: BERT's pooler on the ``[CLS]`` token's last hidden state (``BertForSequenceClassification``
  unchanged; the paper's head).
* ``mean``: the same pooler (dense + tanh), dropout and classifier on the mean of the last hidden
  states of the k-mer tokens: ``[CLS]``, ``[SEP]`` and padding excluded, so a sequence's logits do
  not depend on what it was batched with.

Why ``mean`` exists (``docs/pretraining.md``, point 10): MLM trains every k-mer token's output but
never the ``[CLS]`` token's, and after the demo's pretraining ``[CLS]`` attends to a handful of
tokens (attention entropy 2.0 against 5.7 for uniform) where a random initialisation attends to
all of them equally. A ``[CLS]`` head on the pretrained model must first learn to gather the
sequence again; a mean head reads what pretraining trained.
"""

from __future__ import annotations

import os

import torch
from transformers import BertForSequenceClassification
from transformers.modeling_outputs import SequenceClassifierOutput

from dnabert.tokenizer import CLS_ID, PAD_ID, SEP_ID

POOLINGS = ("cls", "mean")
CONFIG_KEY = "dnabert_pooling"


def pooling_of(config) -> str:
    """The head a model's config records; ``cls`` for models saved before the option."""
    return getattr(config, CONFIG_KEY, "cls")


def kmer_mask(input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """``(B, T)`` float: 1 on k-mer tokens, 0 on ``[CLS]``, ``[SEP]``, padding and masked-out
    positions. A row with no k-mer at all (``[CLS] [SEP]``) keeps its ``[CLS]`` so its mean is
    defined."""
    keep = (input_ids != CLS_ID) & (input_ids != SEP_ID) & (input_ids != PAD_ID)
    if attention_mask is not None:
        keep &= attention_mask.bool()
    empty = ~keep.any(dim=1)
    if empty.any():
        keep[empty, 0] = True
    return keep.to(torch.float32)


class DNABertForSequenceClassification(BertForSequenceClassification):
    """``BertForSequenceClassification`` whose head reads ``config.dnabert_pooling``: ``cls`` is
    the parent's forward unchanged; ``mean`` pools the k-mer tokens (module docstring). Same
    weights and state-dict keys as the parent, so either loads the other's checkpoints."""

    @property
    def pooling(self) -> str:
        return pooling_of(self.config)

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        labels=None,
        output_attentions=None,
        output_hidden_states=None,
        **kwargs,
    ):
        if self.pooling == "cls":
            return super().forward(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                position_ids=position_ids, labels=labels, output_attentions=output_attentions,
                output_hidden_states=output_hidden_states, **kwargs,
            )  # fmt: skip
        if input_ids is None:
            raise ValueError("mean pooling needs input_ids (it finds the k-mer tokens by id)")
        out = self.bert(
            input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
            position_ids=position_ids, output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, return_dict=True,
        )  # fmt: skip
        hidden = out.last_hidden_state
        w = kmer_mask(input_ids, attention_mask).to(hidden.dtype).unsqueeze(-1)
        mean = (hidden * w).sum(dim=1) / w.sum(dim=1)
        pooler = self.bert.pooler
        pooled = pooler.activation(pooler.dense(mean))
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            if self.num_labels == 1:
                loss = torch.nn.functional.mse_loss(logits.squeeze(-1), labels.float())
            else:
                loss = torch.nn.functional.cross_entropy(
                    logits.view(-1, self.num_labels), labels.view(-1)
                )
        return SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )


def check_pooling(pooling: str) -> str:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    return pooling


def load_finetuned(model_dir: str | os.PathLike, **kwargs) -> DNABertForSequenceClassification:
    """A fine-tuned DNABERT classifier with the head it was trained with (``dnabert_pooling`` in
    its ``config.json``; absent: ``cls``, as every model written before the option)."""
    model = DNABertForSequenceClassification.from_pretrained(model_dir, **kwargs)
    check_pooling(model.pooling)
    return model
