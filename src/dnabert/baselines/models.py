"""The paper's baseline networks as plain ``torch.nn.Module``s.

Every model takes one-hot sequences ``x`` of shape ``(N, 4, L)`` (float32, channels ``A, C, G,
T``; ``N`` bases are all-zero columns, see :func:`dnabert.seq.one_hot`) and returns logits of
shape ``(N, C)``. The binary models ("one output" in the original papers) return two logits, so
that every model is trained with the same cross-entropy and ``softmax`` gives the ``(N, 2)``
probabilities that :func:`dnabert.evaluate.write_run` needs; a single sigmoid output ``z`` is the
same model as two logits ``(0, z)``.

- :class:`DeePromoter` (Oubounyt et al. 2019), promoter tasks prom300_* / promcore_*.
- :class:`PromIDResNet` (a PromID-style scanner, Umarov et al. 2019), promscan.
- :class:`SpliceFinder` (Wang et al. 2019), splice (3 classes).
- :class:`DeepBindCNN` (Alipanahi et al. 2015, as benchmarked by DNABERT), tf_* tasks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dnabert.baselines.registry import BASELINE_NAMES


class DeePromoter(nn.Module):
    """Parallel convolutions + BiLSTM (DeePromoter).

    Three Conv1d branches (kernels 27, 14, 7; ``n_filters`` each, ``same`` padding so they keep
    length ``L``), each ReLU -> max-pool ``pool`` -> dropout; the branches are concatenated on the
    channel axis ``(N, 3F, L // pool)`` and read by a bidirectional LSTM (``lstm_hidden`` per
    direction) whose final forward and backward states ``(N, 2H)`` feed dense ``dense`` (ReLU),
    dropout 0.5 and the output layer.
    """

    def __init__(
        self,
        n_classes: int = 2,
        *,
        kernels: Sequence[int] = (27, 14, 7),
        n_filters: int = 32,
        pool: int = 6,
        lstm_hidden: int = 32,
        dense: int = 128,
        dropout: float = 0.5,
    ):
        super().__init__()
        # k // 2 zeros each side and the first L outputs kept: "same" length for odd and even
        # kernels (PyTorch's padding="same" copies the input for even kernels).
        self.convs = nn.ModuleList(nn.Conv1d(4, n_filters, k, padding=k // 2) for k in kernels)
        self.post = nn.Sequential(nn.ReLU(), nn.MaxPool1d(pool), nn.Dropout(dropout))
        self.lstm = nn.LSTM(
            n_filters * len(kernels), lstm_hidden, batch_first=True, bidirectional=True
        )
        self.head = nn.Sequential(
            nn.Linear(2 * lstm_hidden, dense),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dense, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = x.shape[-1]
        h = torch.cat([self.post(conv(x)[..., :length]) for conv in self.convs], dim=1)
        # h: (N, 3F, L // pool)
        _, (h_n, _) = self.lstm(h.transpose(1, 2))  # h_n: (2, N, H), forward and backward
        h = torch.cat([h_n[0], h_n[1]], dim=1)  # (N, 2H)
        return self.head(h)


class ResidualBlock1d(nn.Module):
    """conv3-BN-ReLU-conv3-BN plus a shortcut (1x1 conv + BN when shape changes), then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm1d(c_out),
            nn.ReLU(),
            nn.Conv1d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm1d(c_out),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv1d(c_in, c_out, 1, stride=stride, bias=False),
                               nn.BatchNorm1d(c_out))
        )  # fmt: skip
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class PromIDResNet(nn.Module):
    """A PromID-style 1-D ResNet scoring 1001 bp windows.

    Stem conv (kernel 3, ``channels[0]``), then one stage per entry of ``channels`` (16, 32, 64),
    each ``blocks`` residual blocks whose first block downsamples by stride 2 (so ``L`` ->
    ``ceil(L / 8)`` over three stages); global average pooling ``(N, 64)`` and a linear output.
    """

    def __init__(
        self,
        n_classes: int = 2,
        *,
        channels: Sequence[int] = (16, 32, 64),
        blocks: int = 2,
    ):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(4, channels[0], 3, padding=1, bias=False),
            nn.BatchNorm1d(channels[0]),
            nn.ReLU(),
        )
        stages, c_in = [], channels[0]
        for c_out in channels:
            layers = [ResidualBlock1d(c_in, c_out, stride=2)]
            layers += [ResidualBlock1d(c_out, c_out) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            c_in = c_out
        self.stages = nn.ModuleList(stages)
        self.out = nn.Linear(c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)  # (N, 16, L)
        for stage in self.stages:
            h = stage(h)  # length halves per stage
        return self.out(h.mean(dim=2))  # (N, 64) -> (N, C)


class SpliceFinder(nn.Module):
    """SpliceFinder: Conv1d ``n_filters`` x ``kernel`` (50 x 9, valid) -> ReLU -> flatten
    ``(N, 50 * (L - 8))`` -> dense 100 (ReLU) -> dropout 0.3 -> 3 logits (non-splice, donor,
    acceptor). The dense layer's width depends on ``seq_len``."""

    def __init__(
        self,
        seq_len: int,
        n_classes: int = 3,
        *,
        n_filters: int = 50,
        kernel: int = 9,
        dense: int = 100,
        dropout: float = 0.3,
    ):
        super().__init__()
        if seq_len < kernel:
            raise ValueError(f"SpliceFinder needs seq_len >= kernel ({kernel}), got {seq_len}")
        self.seq_len = seq_len
        self.conv = nn.Conv1d(4, n_filters, kernel)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_filters * (seq_len - kernel + 1), dense),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dense, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.seq_len:
            raise ValueError(f"SpliceFinder built for length {self.seq_len}, got {x.shape[-1]}")
        return self.head(torch.relu(self.conv(x)))  # conv: (N, 50, L - 8)


class DeepBindCNN(nn.Module):
    """DeepBind-style CNN: Conv1d ``n_filters`` x ``kernel`` (128 x 24, valid) -> ReLU -> global
    max pool ``(N, 128)`` -> dense 32 (ReLU) -> dropout -> logits. Any ``L >= kernel``.

    ``both_strands``: each filter's max is also taken over the reverse complement (flipping the
    ``ACGT`` channel and length axes), as DeepBind scans both strands (Alipanahi et al. 2015);
    off by default, which is the architecture DNABERT benchmarked.
    """

    def __init__(
        self,
        n_classes: int = 2,
        *,
        n_filters: int = 128,
        kernel: int = 24,
        dense: int = 32,
        dropout: float = 0.5,
        both_strands: bool = False,
    ):
        super().__init__()
        self.both_strands = both_strands
        self.conv = nn.Conv1d(4, n_filters, kernel)
        self.head = nn.Sequential(
            nn.Linear(n_filters, dense), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dense, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(x)).amax(dim=2)  # global max pool: (N, 128)
        if self.both_strands:  # reverse complement: ACGT -> TGCA is a flip of the channels
            h = torch.maximum(h, torch.relu(self.conv(x.flip(1, 2))).amax(dim=2))
        return self.head(h)


def build_model(name: str, *, seq_len: int, n_classes: int, arch: dict | None = None) -> nn.Module:
    """Instantiate baseline ``name`` for inputs ``(N, 4, seq_len)`` and ``n_classes`` outputs.

    ``arch`` overrides the architecture's keyword arguments (e.g. ``{"n_filters": 16}``).
    Raises ``ValueError`` for an unknown name.
    """
    arch = dict(arch or {})
    if name == "deepromoter":
        return DeePromoter(n_classes, **arch)
    if name == "promid":
        return PromIDResNet(n_classes, **arch)
    if name == "splicefinder":
        return SpliceFinder(seq_len, n_classes, **arch)
    if name == "deepbind":
        return DeepBindCNN(n_classes, **arch)
    raise ValueError(f"unknown baseline {name!r}; expected one of {', '.join(BASELINE_NAMES)}")
