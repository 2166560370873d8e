"""DNABERT pipeline: data, k-mer tokenization, MLM pretraining, fine-tuning, baselines, reports.

All logic lives in this package; the Snakemake workflow under ``workflow/`` is thin glue, and
every step also has a ``dnabert <command>`` entry (see :mod:`dnabert.cli`).
"""

__version__ = "0.1.0"
