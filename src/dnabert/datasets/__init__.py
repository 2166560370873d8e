"""Task datasets: promoters (prom300, promcore, promscan), splice sites, TF binding sites.

Every builder ends in :func:`dnabert.datasets.common.write_task`, which writes
``results/datasets/{task}/{train,dev,test}.tsv`` and ``summary.json``.
"""

from dnabert.datasets.common import COLUMNS, read_task_split, write_task

__all__ = ["COLUMNS", "read_task_split", "write_task"]
