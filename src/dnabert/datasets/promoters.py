"""Promoter datasets: prom300 / promcore (TATA, non-TATA, all) from EPDnew TSSs.

Positives (DNABERT paper, Methods; EPDnew release 006): the window -249..+50 around each TSS in
transcript orientation, 300 bp with the TSS base at index 249. In 0-based half-open genomic
coordinates: ``+`` strand ``[tss-249, tss+51)``; ``-`` strand ``[tss-50, tss+250)``,
reverse-complemented.

Negatives (as DeePromoter and DNABERT):

* non-TATA: cut the positive into 20 pieces of 15 bp, keep 8 pieces chosen at random, replace
  the other 12 with uniformly random bases (same coordinates as the positive, source
  ``substituted:<name>``).
* TATA: 300 bp genomic windows from canonical chromosomes whose every base is at least
  ``min_distance`` bp from every annotated TSS, without N, containing a match of ``tata_regex``
  (on the window's own strand); as many as there are TATA positives (source ``genome``).

promcore is ``prom300[216:286]`` (the paper's -34..+35) of the same positive and negative rows.
``prom300_all`` / ``promcore_all`` are the union of the TATA and non-TATA sets, each with its own
negatives (drawn with the same seeds, so ``all`` holds exactly the rows of the two subsets).

Dropped and counted in the summary: TSSs whose window runs off the chromosome or holds N; TSSs on
chromosomes absent from the FASTA that are not canonical. A TSS on a canonical chromosome absent
from the FASTA is an error naming the TSS file and line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.config import schema_defaults
from dnabert.datasets.common import COLUMNS, write_task
from dnabert.datasets.promoter_io import PromoterInputError, read_tata_names, read_tss
from dnabert.datasets.windows import extract_windows, fasta_lengths, fetch_window
from dnabert.genome import open_fasta
from dnabert.tasks import family_of

log = logging.getLogger(__name__)

UPSTREAM = 249  # bases before the TSS (paper: -249)
DOWNSTREAM = 50  # bases after the TSS (paper: +50)
CORE = (216, 286)  # promcore slice of prom300 (paper: -34..+35)


def _is_canonical(chrom: str, canonical: Sequence[str] | None) -> bool:
    if canonical is not None:
        return chrom in set(canonical)
    return re.match(schema_defaults("genome", "canonical_pattern"), chrom) is not None


def filter_tss(
    tss: pd.DataFrame,
    lengths: dict[str, int],
    tss_path: str | Path,
    canonical: Sequence[str] | None = None,
    offsets: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep TSSs on FASTA records and on the genome; count the rest.

    A TSS on a chromosome the FASTA lacks is dropped (counted ``dropped_unknown_chrom``) when the
    chromosome is not canonical, and is an error naming ``tss_path`` and the line when it is.
    A TSS outside its record (``tss >= length``) is dropped (``dropped_tss_off_genome``).
    ``canonical=None`` means names matching the schema's ``genome.canonical_pattern``
    (``^(chr)?([0-9]+|X|Y)$``).
    """
    offsets = offsets or {}
    known = tss["chrom"].isin(list(lengths))
    for row in tss.loc[~known].itertuples():
        if _is_canonical(row.chrom, canonical):
            raise PromoterInputError(
                f"{tss_path}: line {row.line}: TSS {row.name} on chromosome {row.chrom!r}, which "
                f"the genome FASTA lacks (it has {', '.join(list(lengths)[:5])}...)"
            )
    kept = tss.loc[known]
    off = kept["chrom"].map(lambda c: offsets.get(c, 0))
    size = kept["chrom"].map(lengths)
    on = (kept["tss"] >= off) & (kept["tss"] < off + size)
    stats = {
        "dropped_unknown_chrom": int((~known).sum()),
        "dropped_tss_off_genome": int((~on).sum()),
    }
    return kept.loc[on].reset_index(drop=True), stats


def prom300_positives(
    fasta: str | Path,
    tss: pd.DataFrame,
    *,
    upstream: int = UPSTREAM,
    downstream: int = DOWNSTREAM,
    offsets: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Cut the -upstream..+downstream windows around ``tss`` (already filtered by
    :func:`filter_tss`) and return rows in :data:`COLUMNS` order (label 1, source
    ``epdnew:<name>``) plus counts of windows dropped off the chromosome or holding N."""
    plus = tss["strand"].to_numpy() == "+"
    t = tss["tss"].to_numpy()
    start = np.where(plus, t - upstream, t - downstream)
    end = np.where(plus, t + downstream + 1, t + upstream + 1)
    seqs = extract_windows(
        fasta,
        tss["chrom"].tolist(),
        start,
        end,
        tss["strand"].tolist(),
        offsets=offsets,
        off_genome="none",
    )
    df = pd.DataFrame(
        {
            "sequence": seqs,
            "label": 1,
            "chrom": tss["chrom"].to_numpy(),
            "start": start,
            "end": end,
            "strand": tss["strand"].to_numpy(),
            "source": ("epdnew:" + tss["name"]).to_numpy(),
        }
    )
    off = df["sequence"].isna()
    has_n = ~off & df["sequence"].fillna("").str.contains("N")
    stats = {"dropped_window_off_genome": int(off.sum()), "dropped_window_with_n": int(has_n.sum())}
    return df.loc[~off & ~has_n].reset_index(drop=True), stats


def substitute_pieces(
    seq: str, rng: np.random.Generator, *, piece_length: int = 15, keep_pieces: int = 8
) -> tuple[str, np.ndarray]:
    """The non-TATA negative of ``seq``: cut into ``len(seq) // piece_length`` pieces, keep
    ``keep_pieces`` chosen at random, fill the others with random ``ACGT``. A tail shorter than one
    piece is kept. Returns the new sequence and the sorted kept piece indices."""
    n_pieces = len(seq) // piece_length
    keep = np.sort(rng.choice(n_pieces, size=keep_pieces, replace=False))
    arr = np.frombuffer(seq.encode("ascii"), dtype=np.uint8).copy()
    random_bases = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, len(arr))]
    mask = np.ones(n_pieces, dtype=bool)
    mask[keep] = False
    for p in np.flatnonzero(mask):
        sl = slice(p * piece_length, (p + 1) * piece_length)
        arr[sl] = random_bases[sl]
    return arr.tobytes().decode("ascii"), keep


def notata_negatives(
    pos: pd.DataFrame, seed: int, *, piece_length: int = 15, keep_pieces: int = 8
) -> pd.DataFrame:
    """One substituted negative per positive row (same coordinates, label 0)."""
    rng = np.random.default_rng([seed, 1])
    neg = pos.copy()
    neg["sequence"] = [
        substitute_pieces(s, rng, piece_length=piece_length, keep_pieces=keep_pieces)[0]
        for s in pos["sequence"]
    ]
    neg["label"] = 0
    neg["source"] = "substituted:" + pos["source"].str.removeprefix("epdnew:")
    return neg


def tata_negatives(
    fasta: str | Path,
    n: int,
    all_tss: pd.DataFrame,
    seed: int,
    *,
    chroms: Sequence[str],
    width: int = UPSTREAM + DOWNSTREAM + 1,
    tata_regex: str | None = None,
    min_distance: int = 10_000,
    max_draws: int = 200,
    offsets: dict[str, int] | None = None,
) -> pd.DataFrame:
    """``n`` genomic ``width``-bp windows (label 0, source ``genome``) drawn with ``seed``.

    Windows lie on ``chroms`` (chosen in proportion to length), on a random strand, hold no N,
    contain a ``tata_regex`` match on their own strand, and every base is at least
    ``min_distance`` bp from every TSS in ``all_tss``; no window is drawn twice. Draws come in
    batches; after ``max_draws`` batches without reaching ``n`` a ValueError says how many
    were found. Each drawn window is read from the indexed FASTA on its own (memory does not grow
    with the genome: holding every chromosome took ~3 GB on hg38).
    """
    offsets = offsets or {}
    rng = np.random.default_rng([seed, 2])
    if tata_regex is None:
        tata_regex = schema_defaults("datasets", "promoters", "tata_regex")
    pattern = re.compile(tata_regex)
    lengths = fasta_lengths(fasta)
    chroms = [c for c in chroms if c in lengths and lengths[c] > width]
    if not chroms or n == 0:
        if n:
            raise ValueError(f"{fasta}: no chromosome long enough for {width} bp negatives")
        return pd.DataFrame(columns=COLUMNS)
    sizes = np.array([lengths[c] for c in chroms], dtype=float)
    tss_by_chrom = {
        c: np.sort(g["tss"].to_numpy() - offsets.get(c, 0)) for c, g in all_tss.groupby("chrom")
    }
    comp = str.maketrans("ACGTN", "TGCAN")
    rows, seen = [], set()
    batch = max(64, 4 * n)
    with open_fasta(fasta) as fa:
        for _ in range(max_draws):
            which = rng.choice(len(chroms), size=batch, p=sizes / sizes.sum())
            frac = rng.random(batch)
            minus = rng.random(batch) < 0.5
            for ci, f, m in zip(which.tolist(), frac.tolist(), minus.tolist(), strict=True):
                c = chroms[ci]
                s = int(f * (lengths[c] - width + 1))
                e = s + width
                if (c, s, m) in seen:
                    continue
                t = tss_by_chrom.get(c)
                if t is not None and len(t):
                    # nearest TSS to [s, e): none may lie in [s - d, e + d)
                    lo, hi = np.searchsorted(t, [s - min_distance, e + min_distance])
                    if hi > lo:
                        continue
                seq = fetch_window(fa, c, s, e)  # letters other than ACGTN: an error
                if "N" in seq:
                    continue
                if m:
                    seq = seq.translate(comp)[::-1]
                if not pattern.search(seq):
                    continue
                seen.add((c, s, m))
                o = offsets.get(c, 0)
                rows.append((seq, 0, c, s + o, e + o, "-" if m else "+", "genome"))
                if len(rows) == n:
                    return pd.DataFrame(rows, columns=COLUMNS)
    raise ValueError(
        f"{fasta}: found only {len(rows)} of {n} TATA-containing windows at least "
        f"{min_distance} bp from any TSS; lower datasets.promoters.min_distance"
    )


def core_of(df: pd.DataFrame, core: tuple[int, int] = CORE) -> pd.DataFrame:
    """promcore rows: ``sequence[a:b]`` of each prom300 row, coordinates narrowed to match
    (``+``/``.``: ``[start+a, start+b)``; ``-``: ``[end-b, end-a)``, as the window is reversed)."""
    a, b = core
    out = df.copy()
    out["sequence"] = df["sequence"].str.slice(a, b)
    minus = (df["strand"] == "-").to_numpy()
    out["start"] = np.where(minus, df["end"] - b, df["start"] + a)
    out["end"] = np.where(minus, df["end"] - a, df["start"] + b)
    return out


def check_tata_names(
    tata_names: set[str], tss: pd.DataFrame, tata_path: str | Path, tss_path: str | Path
) -> None:
    """Stop when no TATA name is a TSS name (lists from different releases or a misread
    table); log how many TATA names have no TSS (reported in summary.json as well)."""
    tss_names = set(tss["name"])
    unmatched = tata_names - tss_names
    if tata_names and len(unmatched) == len(tata_names):
        raise PromoterInputError(
            f"{tata_path}: none of its {len(tata_names)} TATA promoter names "
            f"(e.g. {sorted(tata_names)[:3]}) is a promoter name in {tss_path} "
            f"(e.g. {sorted(tss_names)[:3]}); are both from the same EPDnew release?"
        )
    if unmatched:
        log.warning(
            "%s: %d of %d TATA promoter names are not in %s (e.g. %s); they are ignored",
            tata_path, len(unmatched), len(tata_names), tss_path, sorted(unmatched)[:3],
        )  # fmt: skip


def build_promoter_frames(
    fasta: str | Path,
    tss_path: str | Path,
    tata_path: str | Path,
    *,
    seed: int,
    params: dict | None = None,
    canonical: Sequence[str] | None = None,
    offsets: dict[str, int] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Build the TATA and non-TATA prom300 frames (positives + negatives, :data:`COLUMNS`).

    Returns ``({"tata": df, "notata": df}, stats)``; ``params`` overrides
    the schema's defaults of the config section ``datasets.promoters``. ``max_per_task``
    caps the positives of each subset (random subset drawn with ``seed``).
    """
    p = {**schema_defaults("datasets", "promoters"), **(params or {})}
    lengths = fasta_lengths(fasta)
    all_tss = read_tss(tss_path)
    tata_names = read_tata_names(tata_path, column=p["tata_column"])
    check_tata_names(tata_names, all_tss, tata_path, tss_path)
    tss, stats = filter_tss(all_tss, lengths, tss_path, canonical, offsets)
    pos, wstats = prom300_positives(
        fasta, tss, upstream=p["upstream"], downstream=p["downstream"], offsets=offsets
    )
    stats.update(wstats)
    stats["n_tss_input"] = int(len(all_tss))
    is_tata = pos["source"].str.removeprefix("epdnew:").isin(tata_names).to_numpy()
    stats["tata_names"] = len(tata_names)
    stats["tata_names_not_in_tss"] = len(tata_names - set(all_tss["name"]))
    frames = {}
    for subset, mask in (("tata", is_tata), ("notata", ~is_tata)):
        sub = pos.loc[mask].reset_index(drop=True)
        cap = p["max_per_task"]
        if cap is not None and len(sub) > cap:
            rng = np.random.default_rng([seed, 3])
            sub = sub.iloc[np.sort(rng.choice(len(sub), cap, replace=False))].reset_index(drop=True)
        if subset == "notata":
            neg = notata_negatives(
                sub, seed, piece_length=p["piece_length"], keep_pieces=p["keep_pieces"]
            )
        else:
            chroms = [c for c in lengths if _is_canonical(c, canonical)]
            neg = tata_negatives(
                fasta,
                len(sub),
                all_tss,
                seed,
                chroms=chroms,
                width=p["upstream"] + p["downstream"] + 1,
                tata_regex=p["tata_regex"],
                min_distance=p["min_distance"],
                offsets=offsets,
            )
        frames[subset] = pd.concat([sub, neg], ignore_index=True)
        stats[f"{subset}_positives"] = int(len(sub))
    return frames, stats


def build_promoter_task(
    task: str,
    fasta: str | Path,
    tss_path: str | Path,
    tata_path: str | Path,
    out_dir: str | Path,
    *,
    seed: int,
    split_cfg: dict,
    params: dict | None = None,
    canonical: Sequence[str] | None = None,
    config: dict | None = None,
) -> dict:
    """Build ``task`` (``prom300_{tata,notata,all}`` or ``promcore_{...}``) into ``out_dir``
    with :func:`dnabert.datasets.common.write_task`; returns the summary."""
    family = family_of(task)
    # the tasks of the families this function builds (dnabert.tasks: prom300, promcore)
    if family is None or family.builder != f"{__name__}:build_promoter_task":
        raise ValueError(f"unknown promoter task {task!r}; expected prom300_* or promcore_*")
    p = {**schema_defaults("datasets", "promoters"), **(params or {})}
    frames, stats = build_promoter_frames(
        fasta, tss_path, tata_path, seed=seed, params=p, canonical=canonical
    )
    kind, subset = task.split("_", 1)  # prom300 / promcore, tata / notata / all
    parts = [frames["tata"], frames["notata"]] if subset == "all" else [frames[subset]]
    df = pd.concat(parts, ignore_index=True)
    if kind == "promcore":
        df = core_of(df, (p["core_start"], p["core_end"]))
    stats["params"] = p
    return write_task(
        df,
        out_dir,
        task=task,
        split_cfg=split_cfg,
        seed=seed,
        config=config,
        extra_summary={"promoters": stats},
    )
