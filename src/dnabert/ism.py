"""Variant effect by in-silico mutagenesis (ISM): every single-base substitution of a sequence.

For a sequence of length ``L`` the ``3 L`` mutants (each position x the three other bases of
``ACGT``) are scored in batches; the effect is ``delta = P_mut(class) - P_ref(class)``. Positions
holding ``N`` are skipped. The model is any ``predict(list[str]) -> (N,) probabilities``, so the
method is tested on toy models whose answer is known; :func:`classifier_predictor` wraps a
fine-tuned DNABERT classifier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from dnabert.attention import batch_ids

BASES = "ACGT"
Predictor = Callable[[Sequence[str]], np.ndarray]


def mutants(seq: str) -> tuple[list[str], pd.DataFrame]:
    """All single-base substitutions of ``seq``: the mutant strings and a table (pos, ref, alt)."""
    seqs, rows = [], []
    for pos, ref in enumerate(seq):
        if ref not in BASES:
            continue
        for alt in BASES:
            if alt != ref:
                seqs.append(seq[:pos] + alt + seq[pos + 1 :])
                rows.append((pos, ref, alt))
    return seqs, pd.DataFrame(rows, columns=["pos", "ref", "alt"])


def ism(seq: str, predict: Predictor, *, batch_size: int = 256) -> pd.DataFrame:
    """Effect of every substitution of ``seq``: columns ``pos`` (0-based), ``ref``, ``alt``,
    ``p_ref``, ``p_alt``, ``delta`` (= p_alt - p_ref), in position then ACGT order."""
    seqs, table = mutants(seq)
    p_ref = float(np.asarray(predict([seq]))[0])
    probs = [np.asarray(predict(seqs[s : s + batch_size])) for s in range(0, len(seqs), batch_size)]
    p_alt = np.concatenate(probs) if probs else np.zeros(0)
    table["p_ref"] = p_ref
    table["p_alt"] = p_alt
    table["delta"] = p_alt - p_ref
    return table


def delta_matrix(table: pd.DataFrame, length: int) -> np.ndarray:
    """``(4, length)`` float64 of deltas (rows ACGT); the reference base and ``N`` positions are 0."""
    out = np.zeros((4, length))
    out[table["alt"].map(BASES.index).to_numpy(), table["pos"].to_numpy()] = table["delta"]
    return out


def classifier_predictor(
    model, k: int, target_class: int = 1, batch_size: int = 64, max_length: int = 512
) -> Predictor:
    """``predict(seqs) -> P(target_class)`` float64 ``(N,)`` from a sequence classifier."""
    device = next(model.parameters()).device

    @torch.no_grad()
    def predict(seqs: Sequence[str]) -> np.ndarray:
        out = []
        for s in range(0, len(seqs), batch_size):
            ids, mask = batch_ids(seqs[s : s + batch_size], k, max_length)
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            out.append(torch.softmax(logits.float(), dim=-1)[:, target_class].cpu().numpy())
        return np.concatenate(out).astype(np.float64) if out else np.zeros(0)

    return predict
