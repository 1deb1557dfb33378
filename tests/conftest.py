"""Shared fixtures: a tiny in-memory fake encoder and paths to the repository's data."""

from __future__ import annotations

import os

# One BLAS thread. The tests fit many tiny models (Platt scaling runs scipy's L-BFGS-B
# thousands of times on vectors of a few dozen entries); with OpenBLAS's default of one thread
# per core, every call pays for waking and syncing threads, and on a busy 2-core machine
# ``clauseclf.train`` on the 53 annotated clauses took 12-14 s instead of 2 s. Set before
# NumPy/SciPy load their OpenBLAS (and inherited by the subprocesses tests start); the
# ``threadpool_limits`` call below covers a BLAS some plugin loaded earlier. What the tests
# check does not depend on the thread count. ``setdefault``: an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, TypeVar

import lxml.html
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel

if os.environ["OPENBLAS_NUM_THREADS"] == "1":
    threadpool_limits(1, user_api="blas")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
EXAMPLE_POLICY = REPO_ROOT / "data" / "examples" / "larkspur_terms.txt"

_WORD = re.compile(r"[a-z0-9]+")

T = TypeVar("T")


def present(value: T | None) -> T:
    """``value``, asserting that it is not None (an optional result the test expects)."""
    assert value is not None
    return value


def expected_blend(
    index: Any, query: str, rows: Sequence[int], wording: Any, practice: Any = None
) -> np.ndarray:
    """The practice measure's documented score (``clauseclf.index.similar.PRACTICE_WEIGHT``) of
    the index ``rows`` for the text ``query``, given their encoder cosines ``wording`` (and their
    practice products ``practice``, else computed from the clause texts): computed here from the
    model (profiles, head TF-IDF, the query's predicted type), not read from the index's arrays."""
    from clauseclf.index import similar

    model = index.model
    rows = list(rows)
    texts = [str(t) for t in index.clauses["text"].iloc[rows]]
    query_vector = model.encoder.encode([query])
    profile = model.practice_profiles([query], query_vector).toarray()[0]
    if practice is None:
        stored = model.practice_profiles(texts, model.encoder.encode(texts)) if rows else None
        practice = stored.toarray() @ profile if stored is not None else np.zeros(0)
    features = model.head.features
    tfidf = (features.tfidf(texts) @ features.tfidf([query]).T).toarray().ravel() if rows else 0
    label = model.classify([query])[0].label
    same = (index.clauses["label"].iloc[rows].to_numpy() == label).astype(float)
    weights = (
        similar.PRACTICE_WEIGHT,
        similar.WORDING_WEIGHT,
        similar.TFIDF_WEIGHT,
        similar.SAME_TYPE_BOOST,
    )
    terms = (practice, np.asarray(wording, dtype=float), tfidf, same)
    total: np.ndarray = sum(w * t for w, t in zip(weights, terms, strict=True)) / sum(weights)
    return total


def html_nodes(tree: lxml.html.HtmlElement, path: str) -> list[lxml.html.HtmlElement]:
    """The elements the XPath ``path`` selects in ``tree``, asserting that it selects elements."""
    found = tree.xpath(path)
    assert isinstance(found, list)
    assert all(isinstance(node, lxml.html.HtmlElement) for node in found)
    return found


class FakeEncoder:
    """Hashed bag of words through a fixed random projection: fast, deterministic, normalised."""

    name = "fake-hashed-bow"

    def __init__(self, dimension: int = 32, buckets: int = 4096) -> None:
        self.dimension = dimension
        self._projection = np.random.default_rng(0).normal(size=(buckets, dimension))
        self._buckets = buckets

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self._buckets
                out[row] += self._projection[bucket]
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


@pytest.fixture(scope="session")
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


def require_shared_data() -> Path:
    """The shared data folder, or skip the calling test with the reason.

    A test that calls it is marked ``shared_data`` (``pytest_collection_modifyitems`` below), so
    ``-m "not shared_data"`` leaves out every test that reads the folder."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is missing (it sits beside the repository)")
    return SHARED_DATA


def _calls(code: CodeType, name: str) -> bool:
    """Whether ``code`` (or a function or comprehension nested in it) refers to global ``name``."""
    return name in code.co_names or any(
        isinstance(const, CodeType) and _calls(const, name) for const in code.co_consts
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``shared_data`` the tests that call ``require_shared_data`` without the marker."""
    for item in items:
        function = getattr(item, "function", None)
        code = getattr(function, "__code__", None)
        if (
            isinstance(code, CodeType)
            and item.get_closest_marker("shared_data") is None
            and _calls(code, require_shared_data.__name__)
        ):
            item.add_marker(pytest.mark.shared_data)


# A tiny synthetic training set we wrote (fictional wording), for tests with the fake encoder.
_TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "arbitration": [
        ("Any dispute with {c} will be resolved by binding arbitration.", "high"),
        ("Claims against {c} must be settled by individual arbitration, not in court.", "high"),
        ("You may opt out of arbitration with {c} within 30 days.", "medium"),
    ],
    "governing_law": [
        ("These terms are governed by the laws of {place}.", "low"),
        ("The law of {place} applies to this agreement with {c}.", "low"),
    ],
    "jurisdiction": [
        ("The courts of {place} have exclusive jurisdiction over disputes with {c}.", "medium"),
        ("You agree to bring any claim against {c} only in the courts of {place}.", "medium"),
    ],
    "data_sale": [
        ("{c} sells your personal data to data brokers.", "high"),
        ("We rent your contact details to marketing firms, says {c}.", "high"),
        ("{c} does not sell your personal information.", "none"),
    ],
    "ai_training": [
        ("{c} uses your uploads to train its machine learning models.", "high"),
        ("Your messages help {c} train generative AI systems.", "high"),
        ("{c} never uses your content to train AI models.", "none"),
    ],
}
_OTHER = [
    "You can reach {c} support by e-mail.",
    "{c} was founded in {place} to help people write notes.",
    "Section headings in these terms are for convenience only.",
    "The {c} app is available on phones and tablets.",
]
_COMPANIES = ["Larkspur", "Quillmoor", "Brightfen", "Otterly", "Pinecall", "Mossgate"]
_PLACES = ["Delaware", "Ontario", "Bavaria", "Victoria", "Oregon", "Leinster"]


def synthetic_records():
    """AnnotatedClause records over 6 fictional platforms (every type checked)."""
    from clauseclf.annotations import AnnotatedClause

    records = []
    for k, (company, place) in enumerate(zip(_COMPANIES, _PLACES, strict=True)):
        items = [(t, {label: sev}) for label, ts in _TEMPLATES.items() for t, sev in ts]
        items += [(t, {}) for t in _OTHER]
        if k % 2 == 0:
            items.append(
                (
                    "These terms are governed by the laws of {place} and the courts of {place} "
                    "decide disputes with {c}.",
                    {"governing_law": "low", "jurisdiction": "medium"},
                )
            )
        for template, labels in items:
            records.append(
                AnnotatedClause(
                    text=template.format(c=company, place=place),
                    labels=dict(labels),
                    annotated_types=None,
                    platform=company,
                    document="Terms",
                    source="tests",
                    corpus="synthetic",
                )
            )
    return records


@pytest.fixture(scope="session")
def tiny_model(fake_encoder):
    """A ClauseModel trained on the synthetic records with the fake encoder."""
    from clauseclf.inference.model import ClauseModel
    from clauseclf.taxonomy import default_taxonomy
    from clauseclf.training import TrainingConfig, fit_head

    records = synthetic_records()
    texts = [r.text for r in records]
    head = fit_head(
        texts,
        fake_encoder.encode(texts),
        records,
        seed=0,
        config=TrainingConfig(min_df=1, C=1.0),
    )
    return ClauseModel(fake_encoder, head, default_taxonomy(), metadata={"model_version": "tiny"})


def write_biometric_taxonomy(folder: Path) -> Path:
    """A taxonomy file that adds a ``biometric_data`` type to the package taxonomy."""
    import json

    from clauseclf.taxonomy import default_taxonomy

    data = default_taxonomy().to_dict()
    data["types"].insert(
        0,
        {
            "id": "biometric_data",
            "category": "data_rights",
            "default_severity": "high",
            "description": "Face, voice or fingerprint templates collected or used.",
        },
    )
    path = folder / "taxonomy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


#: A short policy we wrote, with numbered headings, several types and hostile markup in a
#: heading and a clause (for the HTML report and browser tests).
FERNWICK_POLICY = """Fernwick Terms

1. Disputes & "law" <b>

Any dispute with Fernwick will be resolved by binding arbitration.

These terms are governed by the laws of Oregon.

These terms are governed by the laws of Oregon and the courts of Oregon decide disputes with \
Fernwick.

2. Your data

Fernwick sells your personal data to data brokers.

Fernwick never uses your content to train AI models.

3. Contact

You can reach Fernwick support by e-mail.

Fernwick <script>window.pwned = 1</script> staff <img src=x onerror="window.pwned=2"> read \
"drafts" & 'notes'.
"""


VOCABULARY = ["[UNK]", "we", "sell", "your", "data", "may", "close", "account", "##s", "the"]


def write_static_encoder(folder: Path, *, dimension: int = 8, seed: int = 0) -> Path:
    """A tiny WordPiece static encoder with random vectors (a real ``StaticEncoder`` folder)."""
    import json

    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece

    from clauseclf.encoder import STATIC_ENCODER_FORMAT

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(
        WordPiece({token: i for i, token in enumerate(VOCABULARY)}, unk_token="[UNK]")
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.save(str(folder / "tokenizer.json"))
    vectors = np.random.default_rng(seed).normal(size=(len(VOCABULARY), dimension))
    np.savez(folder / "embeddings.npz", embeddings=vectors.astype(np.float16))
    config = {
        "format": STATIC_ENCODER_FORMAT,
        "name": "tiny-static",
        "dimension": dimension,
        "max_tokens": 4,
    }
    (folder / "encoder.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def static_model(folder: Path) -> ClauseModel:
    """A ClauseModel with the tiny static encoder at ``folder`` (trained on synthetic records)."""
    from clauseclf.encoder import StaticEncoder
    from clauseclf.inference.model import ClauseModel
    from clauseclf.taxonomy import default_taxonomy
    from clauseclf.training import TrainingConfig, fit_head

    encoder = StaticEncoder(folder)
    records = synthetic_records()
    texts = [r.text for r in records]
    head = fit_head(
        texts, encoder.encode(texts), records, seed=0, config=TrainingConfig(min_df=1, C=1.0)
    )
    return ClauseModel(encoder, head, default_taxonomy(), metadata={"model_version": "static"})


def write_policy_archive(data_dir: Path, documents: dict[str, str]) -> Path:
    """A ``policies-2023/corpus_text.tar.xz`` under ``data_dir`` holding ``documents`` (file
    name -> text) as ``corpus/text/<name>``, like the shared data; returns ``data_dir``."""
    import io
    import tarfile

    folder = data_dir / "policies-2023"
    folder.mkdir(parents=True)
    with tarfile.open(folder / "corpus_text.tar.xz", "w:xz") as tar:
        for name, text in documents.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"corpus/text/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return data_dir


#: Clauses naming their practice (ToS;DR-style cases), for tests of the practice map and of
#: the type ranker's practice evidence.
PRACTICE_CLAUSES: dict[str, list[str]] = {
    "no sale": [
        "We never sell your personal data.",
        "We do not sell personal information to anyone.",
        "Your data is not sold, rented or traded.",
    ],
    "sale": [
        "We sell your personal data to our partners.",
        "We may sell information about you to data brokers.",
        "Your profile may be sold to advertisers.",
    ],
    "arbitration": [
        "Disputes are resolved by binding arbitration.",
        "You agree to arbitrate every claim individually.",
        "Any claim goes to an arbitrator, not a court.",
    ],
}
