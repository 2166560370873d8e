"""The rule log of a Snakemake job: where its failure is explained.

Snakemake tells the user to "check log file(s) for error details", but an uncaught exception of
a ``script:`` job goes to the console only, at the end of a traceback among other jobs' output.
:func:`record_failures` makes the job's log file (configured with ``logging.basicConfig``) end
with the exception's type, message and traceback as well.
"""

from __future__ import annotations

import logging
import sys


def record_failures(logger_name: str = "dnabert") -> None:
    """Log an uncaught exception (type, message, traceback) through ``logger_name`` before the
    default handling prints it to the console; call once after ``logging.basicConfig``."""
    previous = sys.excepthook
    log = logging.getLogger(logger_name)

    def hook(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            log.error("failed: %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
            for handler in logging.getLogger().handlers:
                handler.flush()
        previous(exc_type, exc, tb)

    sys.excepthook = hook
