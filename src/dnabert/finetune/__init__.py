"""Fine-tuning DNABERT (``BertForSequenceClassification``) on one task, k and seed, and any other
Hugging Face DNA language model with its own tokenizer (:func:`finetune_hf_model`, config
``finetune.models``) with the same splits, loop, model selection and metrics.

Inputs: a task directory ``{train,dev,test}.tsv`` (see :mod:`dnabert.datasets.common`) and a
pretrained Hugging Face directory (``results/models/dnabert{k}`` or a user's DNABERT checkpoint;
for :func:`finetune_hf_model` any model directory, see :mod:`dnabert.hfmodels`). Each split is
tokenized once, up front (DNABERT: k-merized with :func:`dnabert.tokenizer.encode_batch`; other
models: by their own tokenizer); batches are padded to the batch maximum rounded up to a multiple
of 8. "Tokens" below are k-mers for DNABERT and the model's own tokens otherwise; the special
tokens each piece is framed with are the model's (:class:`dnabert.hfmodels.Specials`).

Long inputs (more k-mers than fit between ``[CLS]`` and ``[SEP]``, e.g. promscan's 1001 bp = 996
6-mers with 512 positions):

- training (``long_train``): ``centre`` trains on the sub-window of ``max_length - 2`` k-mers
  centred on the sequence centre (a promscan window is labelled by its centre region, so this keeps
  the part that decides the label); ``random`` draws a random sub-window each time the example is
  used (seeded; the draw state is checkpointed with the collator).
- inference: the k-mers are cut into consecutive sub-windows (``add_special_tokens(...,
  policy="chunk")``), every sub-window is scored and the window's class probabilities aggregated
  (``long_aggregate``): ``max`` takes the largest class-1 probability (binary; for more classes the
  per-class maxima, renormalized), ``mean`` averages. This is how DNABERT's scan script scored
  sequences longer than 512 tokens.

Outputs of :func:`finetune` in ``out_dir`` (``results/finetune/{task}/dnabert{k}/seed{seed}/``,
``results/finetune/{task}/{name}/seed{seed}/`` for a model of ``finetune.models``):
``metrics.json`` + ``predictions.tsv`` (metrics on the test split with the dev-selected weights;
the keys every trainer writes, :data:`dnabert.evaluate.RUN_KEYS`, this run's own under
``details``), ``model/`` (the fine-tuned model + its tokenizer), ``train_log.csv`` /
``eval_log.csv``, published as a whole by :func:`dnabert.evaluate.publish_run` (a failed run
leaves no partial output). Checkpoints live in ``{out_dir}.work`` while training (a rerun
resumes there; :class:`dnabert.train.Preempted` after a checkpoint on SIGTERM) and are removed
on success. ``train_seconds`` in ``metrics.json`` is this part's wall time plus the training
seconds of earlier, interrupted parts (stored in the checkpoint it resumed from).

Modules: :mod:`~dnabert.finetune.data` (splits, collator, batches),
:mod:`~dnabert.finetune.classifier` (the model), :mod:`~dnabert.finetune.scoring` (sub-window
prediction), :mod:`~dnabert.finetune.run` (the run); their public names are importable from
``dnabert.finetune``.
"""

from dnabert.evaluate import run_warnings
from dnabert.finetune.classifier import Backbone, load_classifier
from dnabert.finetune.data import (
    LONG_TRAIN,
    FinetuneCollator,
    TokenizedSplit,
    balanced_batches,
    load_split,
    pad_batch,
)
from dnabert.finetune.run import (
    finetune,
    finetune_hf_model,
    load_task,
    loop_config,
    schema_defaults,
)
from dnabert.finetune.scoring import LONG_AGGREGATES, aggregate, predict

__all__ = [
    "LONG_AGGREGATES",
    "LONG_TRAIN",
    "Backbone",
    "FinetuneCollator",
    "TokenizedSplit",
    "aggregate",
    "balanced_batches",
    "finetune",
    "finetune_hf_model",
    "load_classifier",
    "load_split",
    "load_task",
    "loop_config",
    "pad_batch",
    "predict",
    "run_warnings",
    "schema_defaults",
]
