"""Offline triage of a customer's text into the categories of DOMAIN.md §1, by a small trained model.

The model is a linear support-vector machine (one-vs-rest) with calibrated probabilities,
over two kinds of features of the normalised text (NFKC, case-folded, a space wherever
Chinese meets Latin script):

* character n-grams (1–4, TF-IDF, within word boundaries), which cope with typos,
  full-width letters, pinyin and Chinese without word segmentation;
* *cues*: a small hand-written lexicon of concepts ("refund", "limit", "a person")
  in Chinese, English and pinyin. A cue names a concept, never a category: the model
  learns from the data how much each one says about each category. Cues let the two
  languages share evidence, which n-grams alone cannot.

It is trained on the ``train`` split of the shipped labelled set
(``triage_data/labelled.jsonl``; cues in ``triage_data/cues.yaml``) once per process,
on first use, in about a second; nothing is downloaded. ``confidence`` is the model's
probability of the category it returns: the SVM's margins turned into probabilities by a
sigmoid fitted on cross-validated margins of the training set (Platt scaling).

One rule stands above the model: a red flag of account takeover found by the scam
checker of the contacts context (someone asking for a code, for screen sharing, for
money in a "safe account") makes the text ``account_security``, whatever else it
mentions. :func:`explain` tells which flag, or which features pushed the text towards
its category. Held-out accuracy is measured by :mod:`walletdesk.support.triage_eval`
(``walletdesk bench triage``). Scam risk is the checker's, independent of the category.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from walletdesk.support.contacts.message_check import check_message
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category

__all__ = [
    "TAKEOVER_FLAGS",
    "Category",
    "Example",
    "Explanation",
    "Triage",
    "classify",
    "cues",
    "cues_in",
    "explain",
    "fold",
    "labelled_set",
    "normalise",
    "predict",
    "score",
    "split_for",
    "takeover_flags",
    "train",
]

_LABELLED = "support/triage_data/labelled.jsonl"
# Fixed so that training, and so every answer, is the same in every process.
_RANDOM_STATE = 0
# Inverse regularisation strength, chosen by 5-fold cross-validation on the train split.
_C = 0.5
# Folds of the training set whose held-out margins the probabilities are calibrated on.
_CALIBRATION_FOLDS = 5
# Cues are few and binary; this weight puts them on a footing with the n-gram block
# (also chosen by cross-validation).
_CUE_WEIGHT = 0.5
# Red flags (contacts context) of someone trying to take over the account or its money:
# a text with one is an account-security matter whatever else it mentions ("he wants
# the code for my refund"). Flags about scam stories (gift cards, student loans, ...)
# are left out: their words also turn up in innocent questions ("support crypto?").
TAKEOVER_FLAGS = frozenset(
    {"asks_for_code", "screen_sharing", "safe_account", "transfer_to_verify", "install_app"}
)
# The confidence given to a category decided by a takeover flag, at least.
_FLAG_CONFIDENCE = 0.9
# One text in four is held out: those whose SHA-256 (of the folded text) starts below 64.
_TEST_BELOW = 64

Split = Literal["train", "test"]

_CUES = "support/triage_data/cues.yaml"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_SCRIPT_CHANGE = re.compile(rf"(?<=[{_CJK}])(?=[a-z0-9])|(?<=[a-z0-9])(?=[{_CJK}])")
_HAS_CJK = re.compile(rf"[{_CJK}]")


@dataclass(frozen=True, slots=True)
class Triage:
    category: Category
    confidence: float
    scam_risk: Risk


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message of the shipped set."""

    text: str
    category: Category
    locale: str  # "zh-CN", "en" or "mixed"
    split: Split


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def normalise(text: str) -> str:
    """The text the model reads: folded, with a space where Chinese and Latin script meet."""
    return _SCRIPT_CHANGE.sub(" ", fold(text))


def split_for(text: str) -> Split:
    """The split a labelled text belongs to: a stable hash of the text, never a shuffle."""
    digest = hashlib.sha256(fold(text).strip().encode("utf-8")).digest()
    return "test" if digest[0] < _TEST_BELOW else "train"


@cache
def cues() -> dict[str, tuple[str, ...]]:
    """The cue lexicon, concept -> phrases (``triage_data/cues.yaml`` says how they match)."""
    raw = yaml.safe_load(resources.files("walletdesk").joinpath(_CUES).read_text("utf-8"))
    if not isinstance(raw, dict) or not all(
        isinstance(phrases, list) and phrases and all(isinstance(p, str) for p in phrases)
        for phrases in raw.values()
    ):
        raise ValueError(f"{_CUES}: expected concept: [phrase, ...]")
    return {str(cue): tuple(phrases) for cue, phrases in raw.items()}


@cache
def _cue_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    def one(phrase: str) -> str:
        if _HAS_CJK.search(phrase):
            return re.escape(phrase)
        whole = phrase.endswith("$")  # "$": the word must end there too
        pattern = r"(?<![a-z0-9])" + re.escape(phrase.removesuffix("$"))
        return pattern + r"(?![a-z0-9])" if whole else pattern

    return tuple(
        (cue, re.compile("|".join(one(p) for p in phrases))) for cue, phrases in cues().items()
    )


def cues_in(text: str) -> list[str]:
    """The cues (concepts of :func:`cues`) found in ``text``, in the order of the lexicon."""
    normalised = normalise(text)
    return [cue for cue, pattern in _cue_patterns() if pattern.search(normalised)]


@cache
def labelled_set() -> tuple[Example, ...]:
    """The shipped labelled messages, in file order."""
    raw = resources.files("walletdesk").joinpath(_LABELLED).read_text(encoding="utf-8")
    examples = []
    for line in raw.splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(
                Example(row["text"], Category(row["category"]), row["locale"], row["split"])
            )
    return tuple(examples)


@dataclass(frozen=True, slots=True)
class _Model:
    chars: Any  # sklearn TfidfVectorizer over the normalised text
    cues: Any  # sklearn CountVectorizer over the cues found
    classifier: Any  # sklearn CalibratedClassifierCV around a LinearSVC
    weights: Any  # the SVM's weights, one row per label, one column per feature
    labels: tuple[Category, ...]  # in the classifier's column order
    names: tuple[str, ...]  # feature names, in the columns' order


def _tokens(tokens: list[str]) -> list[str]:
    return tokens


def train(examples: tuple[Example, ...]) -> _Model:
    """Fit the features and the classifier on ``examples`` (deterministic)."""
    # Imported here: scikit-learn is only needed once a text is classified, and the API,
    # the CLI and the tests that never classify should not pay for loading it.
    from scipy.sparse import hstack  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.calibration import (  # type: ignore[import-untyped]  # noqa: PLC0415
        CalibratedClassifierCV,
    )
    from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]  # noqa: PLC0415
        CountVectorizer,
        TfidfVectorizer,
    )
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]  # noqa: PLC0415
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # noqa: PLC0415

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
    cue_counts = CountVectorizer(analyzer=_tokens, binary=True, lowercase=False)
    matrix = hstack(
        [
            chars.fit_transform([normalise(e.text) for e in examples]),
            cue_counts.fit_transform([cues_in(e.text) for e in examples]) * _CUE_WEIGHT,
        ]
    ).tocsr()
    # One SVM on the whole training set (ensemble=False); the folds only serve to fit
    # the sigmoid that turns its margins into probabilities. Unshuffled folds: deterministic.
    classifier = CalibratedClassifierCV(
        LinearSVC(C=_C, random_state=_RANDOM_STATE),
        method="sigmoid",
        cv=_CALIBRATION_FOLDS,
        ensemble=False,
    )
    # The problem is small: BLAS threads only fight the server's own threads (and, on a
    # busy machine, made training three times slower).
    with threadpool_limits(limits=1):
        classifier.fit(matrix, [e.category.value for e in examples])
    names = [f'"{n}"' for n in chars.get_feature_names_out()]
    names += [f"cue:{n}" for n in cue_counts.get_feature_names_out()]
    return _Model(
        chars=chars,
        cues=cue_counts,
        classifier=classifier,
        weights=classifier.calibrated_classifiers_[0].estimator.coef_,
        labels=tuple(Category(c) for c in classifier.classes_),
        names=tuple(names),
    )


@cache
def _model() -> _Model:
    return train(tuple(e for e in labelled_set() if e.split == "train"))


def _vector(model: _Model, text: str) -> Any:
    from scipy.sparse import hstack  # noqa: PLC0415  (see train)

    return hstack(
        [
            model.chars.transform([normalise(text)]),
            model.cues.transform([cues_in(text)]) * _CUE_WEIGHT,
        ]
    ).tocsr()


def score(text: str, model: _Model | None = None) -> dict[Category, float]:
    """The model's probability of each category for ``text`` (they add up to 1)."""
    model = model or _model()
    row = model.classifier.predict_proba(_vector(model, text))[0]
    return {label: float(p) for label, p in zip(model.labels, row, strict=True)}


def takeover_flags(text: str, red_flags: Iterable[str] | None = None) -> tuple[str, ...]:
    """The red flags of :data:`TAKEOVER_FLAGS` in ``text``, sorted.

    ``red_flags`` are the codes of a scam check already made; without them the check
    is made here (these flags come from text patterns alone, not from the day).
    """
    if red_flags is None:
        red_flags = (flag.code for flag in check_message(text).red_flags)
    return tuple(sorted(TAKEOVER_FLAGS.intersection(red_flags)))


def predict(
    text: str, model: _Model | None = None, red_flags: Iterable[str] | None = None
) -> tuple[Category, float]:
    """The category of ``text`` and how sure we are (0–1).

    Empty text is ``other``. A takeover red flag makes it ``account_security`` (DOMAIN.md
    §1: phishing, never share codes) whatever else it mentions, with at least
    :data:`_FLAG_CONFIDENCE`. Otherwise the model's most likely category and its probability.
    """
    if not normalise(text).strip():
        return Category.OTHER, 1.0
    probabilities = score(text, model)
    if takeover_flags(text, red_flags):
        security = probabilities[Category.ACCOUNT_SECURITY]
        return Category.ACCOUNT_SECURITY, max(security, _FLAG_CONFIDENCE)
    best = max(probabilities, key=lambda c: probabilities[c])
    return best, probabilities[best]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why ``text`` got its category.

    ``red_flags``: the takeover red flags that decided it, if any. ``features``: the
    features that pushed the model most towards that category, ``(feature,
    contribution)``, largest first, all > 0; a feature is a quoted character n-gram or
    ``cue:<concept>``, its contribution its value in the text times the SVM's weight
    for the category (in units of its margin).
    """

    category: Category
    confidence: float
    red_flags: tuple[str, ...]
    features: tuple[tuple[str, float], ...]


def explain(text: str, limit: int = 5) -> Explanation:
    """What decided the category of ``text`` (see :class:`Explanation`)."""
    model = _model()
    flags = takeover_flags(text)
    category, confidence = predict(text, model, flags)
    vector = _vector(model, text)
    weights = model.weights[model.labels.index(category)]
    contributions = [
        (model.names[column], float(value * weights[column]))
        for column, value in zip(vector.indices, vector.data, strict=True)
    ]
    top = sorted((c for c in contributions if c[1] > 0), key=lambda c: -c[1])[:limit]
    return Explanation(
        category=category,
        confidence=round(confidence, 2),
        red_flags=flags,
        features=tuple((name, round(weight, 3)) for name, weight in top),
    )


def classify(text: str, locale: str = "en", *, today: date | None = None) -> Triage:
    """The most likely category of ``text``, how sure we are (0–1), and its scam risk."""
    check = check_message(text, locale, today=today)
    category, confidence = predict(text, red_flags=(flag.code for flag in check.red_flags))
    return Triage(category, round(confidence, 2), check.risk)
