"""The rule log of a Snakemake job: where its progress is recorded and its failure explained.

Every adapter in ``workflow/scripts/`` starts with :func:`setup_job_log` (the one log setup):
the package's log lines (INFO and above: what a step built, read and wrote) go to the
rule's ``log:`` file. Snakemake tells the user to "check log file(s) for error details", but an
uncaught exception of a ``script:`` job goes to the console only, at the end of a traceback
among other jobs' output: :func:`record_failures` makes the job's log file end with the
exception's type, message and traceback as well. Every job's log then closes with the
process's exact peak resident memory and CPU time (``peak RSS: N MB, CPU: S s``, from
``getrusage``), which ``benchmarks/bench_scale.py`` compares with the rule's declared ``mem_mb``:
Snakemake's ``benchmark:`` files sample memory and CPU time every 30 s after the first 15 s, so
they can miss a short peak and up to 30 s of CPU time.
"""

from __future__ import annotations

import atexit
import logging
import os
import resource
import sys

PEAK_RSS_PREFIX = "peak RSS: "
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def peak_rss_mb() -> float:
    """Peak resident set size (MB) of this process or any finished child, whichever is larger."""
    kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return kb / 1024  # Linux reports kilobytes


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    own, kids = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def setup_job_log(path: str | os.PathLike | None) -> None:
    """The one log setup of a Snakemake job: INFO and above in :data:`LOG_FORMAT` to the rule's
    log file ``path`` (appended), an uncaught exception's traceback at its end and the peak RSS
    line (:func:`record_failures`). ``path`` None: to stderr, for a ``shell:`` rule whose
    command sends stderr to ``{log}`` (the traceback then reaches the log through stderr)."""
    logging.basicConfig(filename=path, level=logging.INFO, format=LOG_FORMAT)
    record_failures(log_exceptions=path is not None)


def record_failures(logger_name: str = "dnabert", log_exceptions: bool = True) -> None:
    """Log an uncaught exception (type, message, traceback) through ``logger_name`` before the
    default handling prints it to the console (not with ``log_exceptions`` False: the console is
    the log), and the process's peak RSS and CPU time at exit; call once after
    ``logging.basicConfig``."""
    previous = sys.excepthook
    log = logging.getLogger(logger_name)

    def hook(exc_type, exc, tb):
        if log_exceptions and not issubclass(exc_type, KeyboardInterrupt):
            log.error("failed: %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
            for handler in logging.getLogger().handlers:
                handler.flush()
        previous(exc_type, exc, tb)

    sys.excepthook = hook
    atexit.register(
        lambda: log.info("%s%.1f MB, CPU: %.1f s", PEAK_RSS_PREFIX, peak_rss_mb(), cpu_seconds())
    )
