"""The head's character n-gram block: the n-grams, counts and TF-IDF equal scikit-learn's
``char_wb`` ones (counted without scikit-learn at inference), and the block survives a save."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from clauseclf.errors import ModelFormatError
from clauseclf.estimators import fit_char_tfidf
from clauseclf.head import TextFeatures
from clauseclf.head.features import CHAR_NGRAM_RANGE, char_ngrams

TEXTS = [
    "We may SELL your personal data to advertisers.",
    "",
    "a  b\tc\n\nde",
    "Naïve café rules: ﬁne print, 42 ab 42 ab; e-mail/opt-out.",
    "   leading and trailing spaces   ",
    "Arbitration. ARBITRATION! arbitrate?",
    "x" * 40,
]


def test_char_ngrams_are_scikit_learns_char_wb_ngrams() -> None:
    analyzer = CountVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAM_RANGE).build_analyzer()
    for text in TEXTS:
        assert char_ngrams(text) == analyzer(text), text


def _features(texts: list[str], weight: float = 0.7) -> TextFeatures:
    chars, char_idf = fit_char_tfidf(texts, 1, None)
    return TextFeatures(
        ["sell"], np.ones(1), 2, 0.5, char_vocabulary=chars, char_idf=char_idf, char_weight=weight
    )


def test_char_counts_and_tfidf_equal_scikit_learns() -> None:
    features = _features(TEXTS)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAM_RANGE, sublinear_tf=True)
    expected = reference.fit_transform(TEXTS)
    assert features.char_vocabulary == sorted(
        reference.vocabulary_, key=reference.vocabulary_.__getitem__
    )
    counts = CountVectorizer(
        analyzer="char_wb", ngram_range=CHAR_NGRAM_RANGE, vocabulary=reference.vocabulary_
    ).transform(TEXTS)
    assert (abs(features.char_counts(TEXTS) - counts) > 0).nnz == 0
    np.testing.assert_allclose(features.char_tfidf(TEXTS).toarray(), expected.toarray(), atol=1e-12)


def test_the_char_block_comes_last_weighted() -> None:
    features = _features(TEXTS, weight=0.25)
    embeddings = np.ones((len(TEXTS), 2))
    rows = features.transform(TEXTS, embeddings).toarray()
    assert rows.shape == (len(TEXTS), features.size)
    assert features.size == 1 + 2 + len(features.char_vocabulary)  # no stance flags: weight 0
    np.testing.assert_allclose(rows[:, 3:], 0.25 * features.char_tfidf(TEXTS).toarray())


@pytest.mark.parametrize(
    ("grams", "idf", "weight", "message"),
    [
        *[
            (["ab", gram], [1.0, 1.0], 1.0, "not a char_wb n-gram")
            for gram in ("a", "a  b", "a b", "")
        ],
        (["ab", "bc"], [1.0], 1.0, "character vocabulary has 2 entries"),
        (["ab"], [1.0], 0.0, "positive character weight"),
        (["ab", "ab"], [1.0, 1.0], 1.0, "repeated"),
        (["ab"], [float("nan")], 1.0, "NaN"),
    ],
)
def test_bad_char_blocks_are_refused(
    grams: list[str], idf: list[float], weight: float, message: str
) -> None:
    with pytest.raises(ModelFormatError, match=message):
        TextFeatures(
            ["a"],
            np.ones(1),
            2,
            0.5,
            char_vocabulary=grams,
            char_idf=np.array(idf),
            char_weight=weight,
        )


def test_char_counts_equal_scikit_learns_on_random_texts() -> None:
    rng = np.random.default_rng(0)
    alphabet = [*"ab cdé\tE\nxY.,;  ß İ ﬁ 你 \u00a0\u2028-", "ab", "Ab"]
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 60)))) for _ in range(400)]
    chars, char_idf = fit_char_tfidf(texts[:200], 1, None)
    features = TextFeatures(
        ["ab"], np.ones(1), 2, 0.5, char_vocabulary=chars, char_idf=char_idf, char_weight=1.0
    )
    reference = CountVectorizer(
        analyzer="char_wb",
        ngram_range=CHAR_NGRAM_RANGE,
        vocabulary={gram: i for i, gram in enumerate(chars)},
    )
    ours = features.char_counts(texts)
    assert ours.nnz > 0
    assert (abs(ours - reference.transform(texts)) > 0).nnz == 0
    assert features.char_counts([]).shape == (0, len(chars))
