"""Overlapping k-mer tokenization with DNABERT's vocabulary, vectorized on byte arrays.

Vocabulary (exactly DNABERT's ``vocab.txt``): ids 0..4 are ``[PAD] [UNK] [CLS] [SEP] [MASK]``,
then the ``4**k`` k-mers in ``itertools.product("ATCG", repeat=k)`` order, so id 5 is ``A...A``
and id ``5 + sum(code[j] * 4**(k-1-j))`` with codes ``A=0 T=1 C=2 G=3``. Sizes: 69, 261, 1029,
4101 for k = 3..6.

A sequence of ``L`` bases gives ``L - k + 1`` overlapping k-mers (stride 1, DNABERT's
``seq2kmer``); token ``i`` covers bases ``[i, i + k)``. A k-mer containing ``N`` becomes
``[UNK]``. Lower-case bases are upper-cased; any other letter raises
:class:`dnabert.seq.SequenceError` naming the record and 0-based position.

:func:`encode` never builds k-mer strings: a 256-entry byte lookup table gives 2-bit codes, and
shifted ORs of the code array (pairs first, then pairs of pairs) give the k-mer index, in chunks
that stay in cache. :class:`DNATokenizer` wraps the same vocabulary in a Hugging Face slow
tokenizer that saves and loads ``vocab.txt``, so DNABERT's published tokenizer files load and give
identical ids.

Long inputs (more than ``max_length - 2`` k-mers) follow the ``policy`` argument of
:func:`add_special_tokens`: ``truncate`` keeps the first ``max_length - 2`` k-mers; ``chunk``
splits the k-mers into consecutive pieces, each wrapped in ``[CLS] ... [SEP]``. (Fine-tuning
chooses by ``finetune.long_train`` / ``finetune.long_aggregate``; the old config key
``tokenize.long_policy`` is deprecated and read by nothing.)

It stays one module (about 400 lines): the vocabulary, the encoder and the Hugging Face
tokenizer class (a thin wrapper over the functions above it) share one k-mer id layout.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from transformers import PreTrainedTokenizer

from dnabert.seq import SequenceError, check_letters

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
N_SPECIAL = len(SPECIAL_TOKENS)
KMER_ALPHABET = "ATCG"  # DNABERT's order: itertools.product("ATCG", repeat=k)
SUPPORTED_K = (3, 4, 5, 6)
VOCAB_FILE = "vocab.txt"

# Byte -> 2-bit code in ATCG order; N -> 4; anything else -> 255 (invalid).
_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(KMER_ALPHABET.encode()):
    _CODE[_c] = _i
    _CODE[_c + 32] = _i  # lower case
_CODE[ord("N")] = _CODE[ord("n")] = 4
_LETTERS = np.frombuffer(KMER_ALPHABET.encode(), dtype=np.uint8)
_CHUNK = 1 << 17  # bases per chunk: keeps the temporaries in L2 cache


def _check_k(k: int) -> int:
    if k not in SUPPORTED_K:
        raise ValueError(f"k must be one of {SUPPORTED_K}, got {k!r}")
    return k


def vocab_size(k: int) -> int:
    """Number of ids for k-mer size ``k``: ``5 + 4**k`` (69, 261, 1029, 4101)."""
    return N_SPECIAL + 4 ** _check_k(k)


def check_model_k(model_dir: str | os.PathLike, k: int) -> None:
    """Check that the Hugging Face model in ``model_dir`` has DNABERT-k's vocabulary size.

    Raises FileNotFoundError without a ``config.json`` and ValueError naming the directory when
    its ``vocab_size`` is not ``4**k + 5``.
    """
    from transformers import BertConfig

    path = Path(model_dir)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: no config.json (not a Hugging Face model directory)")
    found = BertConfig.from_pretrained(path).vocab_size
    expected = vocab_size(k)
    if found != expected:
        raise ValueError(
            f"{path}: vocab_size {found} does not match k={k} (expected 4**{k} + 5 = {expected})"
        )


def kmer_vocab(k: int) -> list[str]:
    """The full vocabulary in id order: 5 special tokens, then all k-mers (ATCG product order)."""
    _check_k(k)
    return SPECIAL_TOKENS + ["".join(p) for p in itertools.product(KMER_ALPHABET, repeat=k)]


def write_vocab(path: str | os.PathLike, k: int) -> Path:
    """Write ``vocab.txt`` (one token per line, id order, trailing newline) and return its path."""
    from dnabert.provenance import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(kmer_vocab(k)) + "\n")
    return path


def read_vocab(path: str | os.PathLike) -> tuple[list[str], int]:
    """Read a DNABERT ``vocab.txt`` and return ``(tokens, k)``.

    Raises ValueError naming the file when the size is not ``5 + 4**k`` for k in 3..6 or when the
    order differs from :func:`kmer_vocab` (ids would silently change meaning otherwise).
    """
    tokens = Path(path).read_text().splitlines()
    while tokens and not tokens[-1].strip():
        tokens.pop()
    tokens = [t.strip() for t in tokens]
    sizes = {vocab_size(k): k for k in SUPPORTED_K}
    if len(tokens) not in sizes:
        raise ValueError(
            f"{path}: {len(tokens)} tokens; expected one of {sorted(sizes)} "
            "(5 specials + 4**k k-mers)"
        )
    k = sizes[len(tokens)]
    expected = kmer_vocab(k)
    for i, (got, want) in enumerate(zip(tokens, expected, strict=True)):
        if got != want:
            raise ValueError(
                f"{path}: line {i + 1} is {got!r}, expected {want!r} (DNABERT vocabulary order)"
            )
    return tokens, k


def _as_bytes(seq: str | bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    if isinstance(seq, str):
        # one byte per character, so positions in errors match the string
        return np.frombuffer(seq.encode("ascii", errors="replace"), dtype=np.uint8)
    if isinstance(seq, np.ndarray):
        if seq.dtype != np.uint8 or seq.ndim != 1:
            raise TypeError("a numpy sequence must be a 1-D uint8 array of ASCII bytes")
        return seq
    return np.frombuffer(seq, dtype=np.uint8)


def _raise_invalid(raw: np.ndarray, seq, record: str, offset: int) -> None:
    """Raise the project's one letter error (:func:`dnabert.seq.check_letters`) for ``seq``."""
    check_letters(seq if isinstance(seq, str) else raw, record)
    raise AssertionError("unreachable: the caller saw an invalid letter")  # pragma: no cover


def encode(
    seq: str | bytes | bytearray | memoryview | np.ndarray, k: int, record: str = "<sequence>"
) -> np.ndarray:
    """Token ids of the overlapping k-mers of ``seq``, without special tokens.

    Returns ``uint16`` of shape ``(len(seq) - k + 1,)`` (empty when ``len(seq) < k``); element
    ``i`` is the id of bases ``[i, i + k)``. k-mers containing ``N``/``n`` are ``UNK_ID``.
    ``seq`` may be a ``str``, bytes-like, or a 1-D ``uint8`` array of ASCII codes.
    Raises :class:`SequenceError` naming ``record`` and the 0-based position of the first letter
    outside ``ACGTNacgtn``.
    """
    _check_k(k)
    raw = _as_bytes(seq)
    n = raw.size - k + 1
    if n <= 0:
        if raw.size and int(_CODE[raw].max()) == 255:
            _raise_invalid(raw, seq, record, 0)
        return np.empty(0, dtype=np.uint16)
    out = np.empty(n, dtype=np.uint16)
    for s in range(0, n, _CHUNK):
        e = min(n, s + _CHUNK)
        m = e - s
        c = _CODE[raw[s : e + k - 1]]  # (m + k - 1,) codes 0..3, 4 = N, 255 = invalid
        top = int(c.max())
        if top == 255:
            _raise_invalid(raw, seq, record, s)
        c16 = (c & 3).astype(np.uint16)  # N -> 0 for now; fixed to UNK below
        pair = c16[:-1] << 2  # pair[i] = 2-mer index of bases [i, i + 2)
        pair |= c16[1:]
        v = out[s:e]
        np.left_shift(pair[:m], 2 * (k - 2), out=v)
        for j in range(1, k // 2):
            v |= pair[2 * j : 2 * j + m] << (2 * (k - 2 - 2 * j))
        if k % 2:
            v |= c16[k - 1 : k - 1 + m]
        v += N_SPECIAL
        if top == 4:  # some N: k-mers whose window holds one become UNK
            n_before = np.zeros(c.size + 1, dtype=np.int32)
            np.cumsum(c == 4, out=n_before[1:])
            v[n_before[k : k + m] != n_before[:m]] = UNK_ID
    return out


def encode_batch(
    seqs: Sequence[str | bytes], k: int, records: Sequence[str] | None = None
) -> list[np.ndarray]:
    """:func:`encode` for many (short) sequences in one vectorized pass.

    The sequences are joined into one byte buffer and encoded once; k-mers that would straddle two
    sequences are dropped, so ``encode_batch(seqs, k)[i]`` equals ``encode(seqs[i], k)``. Errors
    name ``records[i]`` (default ``"<sequence i>"``) and the position within that sequence.
    """
    _check_k(k)
    raw = [s.encode("ascii", errors="replace") if isinstance(s, str) else bytes(s) for s in seqs]
    lengths = np.fromiter((len(r) for r in raw), dtype=np.int64, count=len(raw))
    starts = np.cumsum(lengths) - lengths
    buf = np.frombuffer(b"".join(raw), dtype=np.uint8)
    bad = np.flatnonzero(_CODE[buf] == 255)
    if bad.size:
        i = int(np.searchsorted(starts, bad[0], side="right")) - 1
        record = records[i] if records is not None else f"<sequence {i}>"
        encode(seqs[i], k, record=record)  # raises with the position inside sequence i
    ids = encode(buf, k) if buf.size >= k else np.empty(0, dtype=np.uint16)
    pairs = zip(starts.tolist(), lengths.tolist(), strict=True)
    return [ids[a : a + max(0, n - k + 1)] for a, n in pairs]


def decode(ids: Sequence[int] | np.ndarray, k: int) -> str:
    """The DNA sequence spelled by consecutive overlapping k-mer ids (inverse of :func:`encode`).

    ``ids`` holds k-mer ids and ``UNK_ID`` only (no other special tokens: ValueError). The result
    has ``len(ids) + k - 1`` bases (empty for empty ``ids``). A base covered by at least one known
    k-mer is spelled exactly; a base covered only by ``[UNK]`` k-mers is written ``N``. So the
    round trip is exact for ``ACGT`` sequences, and for sequences with ``N`` whenever every
    non-``N`` base lies in some ``N``-free k-mer. Raises ValueError at the first pair of
    neighbouring known k-mers that do not overlap by ``k - 1`` bases.
    """
    _check_k(k)
    ids = np.asarray(ids)
    if ids.size == 0:
        return ""
    ids = ids.astype(np.int64, copy=False)
    bad = np.flatnonzero(((ids < N_SPECIAL) & (ids != UNK_ID)) | (ids >= vocab_size(k)))
    if bad.size:
        raise ValueError(
            f"decode: id {int(ids[bad[0]])} at position {int(bad[0])} is not a k-mer or [UNK] "
            f"for k={k}"
        )
    known = ids != UNK_ID
    v = ids - N_SPECIAL
    suffix_mask = 4 ** (k - 1) - 1
    both = known[:-1] & known[1:]
    clash = np.flatnonzero(both & ((v[:-1] & suffix_mask) != (v[1:] >> 2)))
    if clash.size:
        i = int(clash[0])
        raise ValueError(f"decode: k-mers at positions {i} and {i + 1} do not overlap by k - 1")
    out = np.full(ids.size + k - 1, ord("N"), dtype=np.uint8)
    pos = np.flatnonzero(known)
    for j in range(k):  # base j of k-mer i sits at position i + j
        out[pos + j] = _LETTERS[(v[pos] >> (2 * (k - 1 - j))) & 3]
    return out.tobytes().decode("ascii")


def add_special_tokens(
    ids: np.ndarray, max_length: int = 512, policy: str = "truncate"
) -> list[np.ndarray]:
    """Wrap k-mer ids in ``[CLS] ... [SEP]`` so each piece has at most ``max_length`` tokens.

    ``truncate`` returns one piece holding the first ``max_length - 2`` k-mers. ``chunk`` splits
    the ids into consecutive non-overlapping runs of ``max_length - 2`` k-mers (the last may be
    shorter) and wraps each; an empty input gives one ``[CLS] [SEP]`` piece. Output dtype uint16.
    """
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3, got {max_length}")
    body = max_length - 2
    ids = np.asarray(ids, dtype=np.uint16)
    if policy == "truncate":
        pieces = [ids[:body]]
    elif policy == "chunk":
        pieces = [ids[s : s + body] for s in range(0, ids.size, body)] or [ids]
    else:
        raise ValueError(f"policy must be 'truncate' or 'chunk', got {policy!r}")
    out = []
    for p in pieces:
        w = np.empty(p.size + 2, dtype=np.uint16)
        w[0], w[-1] = CLS_ID, SEP_ID
        w[1:-1] = p
        out.append(w)
    return out


_KMER_TEXT_OK = re.compile(r"^[ACGTN]+$")


def read_kmer_text(line: str, k: int | None = None, record: str = "<line>") -> str:
    """Turn DNABERT's k-mer text (``"ATG TGC GCA"``) back into the sequence (``"ATGCA"``).

    ``k`` defaults to the length of the first k-mer. Lower case is upper-cased. Raises ValueError
    naming ``record`` and the 1-based k-mer number when a k-mer has the wrong length or letters, or
    does not overlap its predecessor by ``k - 1`` bases. An empty line gives ``""``.
    """
    kmers = line.upper().split()
    if not kmers:
        return ""
    k = k or len(kmers[0])
    for i, km in enumerate(kmers):
        if len(km) != k or not _KMER_TEXT_OK.match(km):
            raise ValueError(f"{record}: k-mer {i + 1} is {km!r}; expected {k} letters of ACGTN")
        if i and kmers[i - 1][1:] != km[:-1]:
            raise ValueError(
                f"{record}: k-mer {i + 1} ({km!r}) does not overlap k-mer {i} "
                f"({kmers[i - 1]!r}) by {k - 1} bases"
            )
    return kmers[0] + "".join(km[-1] for km in kmers[1:])


def read_kmer_tsv(path: str | os.PathLike):
    """Read a DNABERT fine-tuning file (``sequence<TAB>label`` header, k-mer text sequences).

    Returns a pandas DataFrame with columns ``sequence`` (raw bases) and ``label`` (as in the
    file). Errors name the file and 1-based line.
    """
    import pandas as pd

    rows = []
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if header[:2] != ["sequence", "label"]:
            raise ValueError(f"{path}: line 1 is {header!r}; expected 'sequence<TAB>label'")
        for lineno, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                raise ValueError(f"{path}: line {lineno} has {len(fields)} field(s); expected 2")
            rows.append((read_kmer_text(fields[0], record=f"{path}: line {lineno}"), fields[1]))
    return pd.DataFrame(rows, columns=["sequence", "label"])


class DNATokenizer(PreTrainedTokenizer):
    """Hugging Face (slow) tokenizer over DNABERT's k-mer vocabulary.

    Load with ``DNATokenizer.from_pretrained(model_dir)`` (reads ``vocab.txt``; ``k`` is inferred
    from its size and the order is checked) or build with ``DNATokenizer(k=6)``. Input text is
    either raw DNA (``"ACGTAC"``, k-merized with stride 1) or DNABERT's space-separated k-mer text
    (``"ACG CGT GTA"``); both give the ids of :func:`encode`, wrapped in ``[CLS] ... [SEP]``.
    """

    vocab_files_names = {"vocab_file": VOCAB_FILE}
    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]

    def __init__(
        self,
        vocab_file: str | None = None,
        k: int | None = None,
        model_max_length: int = 512,
        **kwargs,
    ):
        if vocab_file is not None:
            tokens, file_k = read_vocab(vocab_file)
            if k is not None and k != file_k:
                raise ValueError(f"{vocab_file}: vocabulary is for k={file_k}, but k={k} given")
            k = file_k
        elif k is None:
            raise ValueError("DNATokenizer needs a vocab_file or k")
        else:
            tokens = kmer_vocab(k)
        self.k = k
        self.vocab = {t: i for i, t in enumerate(tokens)}
        self.ids_to_tokens = tokens
        for name, tok in zip(("pad", "unk", "cls", "sep", "mask"), SPECIAL_TOKENS, strict=True):
            kwargs.setdefault(f"{name}_token", tok)
        kwargs.setdefault("special_tokens_pattern", "cls_sep")
        kwargs.setdefault("token_type_ids_pattern", "all_zeros")
        super().__init__(k=k, model_max_length=model_max_length, **kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab, **self.added_tokens_encoder)

    def _tokenize(self, text: str, **kwargs) -> list[str]:
        parts = text.split()
        if len(parts) > 1 or (parts and len(parts[0]) == self.k and len(text.strip()) == self.k):
            # DNABERT k-mer text: each part is one k-mer
            out = []
            for i, p in enumerate(parts):
                p = p.upper()
                if len(p) != self.k or not _KMER_TEXT_OK.match(p):
                    raise SequenceError(
                        f"<text>: token {i} is {p!r}; expected a {self.k}-mer of A, C, G, T or N"
                    )
                out.append(p)
            return out
        if not parts:
            return []
        seq = parts[0]
        encode(seq, self.k)  # validates letters (SequenceError naming the position)
        seq = seq.upper()
        return [seq[i : i + self.k] for i in range(len(seq) - self.k + 1)]

    def _convert_token_to_id(self, token: str) -> int:
        return self.vocab.get(token, UNK_ID)

    def _convert_id_to_token(self, index: int) -> str:
        if 0 <= index < len(self.ids_to_tokens):
            return self.ids_to_tokens[index]
        return SPECIAL_TOKENS[UNK_ID]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """DNABERT's k-mer text: the tokens joined by spaces."""
        return " ".join(tokens)

    def save_vocabulary(
        self, save_directory: str, filename_prefix: str | None = None
    ) -> tuple[str, ...]:
        directory = Path(save_directory)
        name = (f"{filename_prefix}-" if filename_prefix else "") + VOCAB_FILE
        path = directory / name if directory.is_dir() else directory
        path.write_text("\n".join(self.ids_to_tokens) + "\n")
        return (str(path),)
