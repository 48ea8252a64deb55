"""How well triage does on the held-out split of its labelled set (for ``make bench``).

The model is trained on the ``train`` split only; every figure here is measured on the
``test`` split, which it has never seen. Rows of the confusion matrix are the true
categories, columns the predicted ones, both in the fixed order of :data:`LABELS`.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from walletdesk.support.triage import Category, Example, labelled_set, predict, train

LABELS: tuple[Category, ...] = tuple(Category)
LOCALES: tuple[str, ...] = ("zh-CN", "en", "mixed")


def evaluate() -> dict[str, Any]:
    """Accuracy (overall and per locale), per-category precision and recall, and the
    confusion matrix on the ``test`` split, for what :func:`~walletdesk.support.triage.
    classify` decides; the errors themselves; the training time."""
    examples = labelled_set()
    training = tuple(e for e in examples if e.split == "train")
    held_out = tuple(e for e in examples if e.split == "test")
    # Trained twice: the first time may include loading scikit-learn into the process.
    started = time.perf_counter()
    train(training)
    cold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = train(training)
    train_seconds = time.perf_counter() - started

    predicted: list[tuple[Example, Category, float]] = [
        (e, *predict(e.text, model)) for e in held_out
    ]
    index = {label: i for i, label in enumerate(LABELS)}
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for example, category, _ in predicted:
        matrix[index[example.category]][index[category]] += 1

    per_category: dict[str, dict[str, float | int]] = {}
    for label in LABELS:
        i = index[label]
        hits = matrix[i][i]
        support = sum(matrix[i])
        chosen = sum(row[i] for row in matrix)
        per_category[label.value] = {
            "precision": _ratio(hits, chosen),
            "recall": _ratio(hits, support),
            "support": support,
        }

    per_locale: dict[str, dict[str, float | int]] = {}
    for locale in LOCALES:
        mine = [(e, c) for e, c, _ in predicted if e.locale == locale]
        right = sum(1 for e, c in mine if c is e.category)
        per_locale[locale] = {"accuracy": _ratio(right, len(mine)), "n": len(mine)}

    right = sum(1 for e, c, _ in predicted if c is e.category)
    # The same, without the takeover-flag rule: what the model alone gets right.
    alone = sum(1 for e in held_out if predict(e.text, model, red_flags=())[0] is e.category)
    return {
        "model": "linear SVM (Platt-calibrated) on char n-grams (1-4, TF-IDF) and concept cues; "
        "a takeover red flag makes it account_security",
        "sizes": {
            "train": len(training),
            "test": len(held_out),
            "train_by_locale": dict(sorted(Counter(e.locale for e in training).items())),
        },
        "train_seconds": round(train_seconds, 3),
        "train_seconds_cold": round(cold_seconds, 3),
        "accuracy": _ratio(right, len(held_out)),
        "model_only_accuracy": _ratio(alone, len(held_out)),
        "per_locale": per_locale,
        "per_category": per_category,
        "confusion": {"labels": [label.value for label in LABELS], "matrix": matrix},
        "errors": [
            {
                "text": e.text,
                "locale": e.locale,
                "expected": e.category.value,
                "predicted": c.value,
                "confidence": round(p, 2),
            }
            for e, c, p in predicted
            if c is not e.category
        ],
    }


def render(report: dict[str, Any]) -> str:
    """The report as a plain-text table: the confusion matrix, then the summary figures."""
    labels: list[str] = report["confusion"]["labels"]
    short = [label[:10] for label in labels]
    width = max(len(label) for label in labels)
    lines = [
        "true \\ predicted".ljust(width) + "".join(f"{s:>11}" for s in short),
        *(
            label.ljust(width) + "".join(f"{n:>11}" for n in row)
            for label, row in zip(labels, report["confusion"]["matrix"], strict=True)
        ),
        "",
        f"accuracy {report['accuracy']:.3f} on {report['sizes']['test']} held-out messages "
        f"(trained on {report['sizes']['train']} in {report['train_seconds']:.2f} s)",
        *(
            f"  {locale:<6} {figures['accuracy']:.3f} (n={figures['n']})"
            for locale, figures in report["per_locale"].items()
        ),
        "",
        "category".ljust(width) + "  precision  recall  support",
        *(
            f"{label.ljust(width)}  {f['precision']:>9.3f}  {f['recall']:>6.3f}  {f['support']:>7}"
            for label, f in report["per_category"].items()
        ),
    ]
    return "\n".join(lines)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0
