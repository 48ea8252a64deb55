"""The pages' words in zh-CN and en, kept as pairs so neither language can be forgotten.

Each area of the site has its own YAML file under ``texts/`` (key -> {en, zh-CN});
they are merged at first use and a key defined twice, or missing a language, is an
error at load time rather than an English word on a Chinese page.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

LOCALES = ("en", "zh-CN")


class TextCatalogueError(ValueError):
    """A texts file is malformed: a duplicate key or a missing language."""


@cache
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("walletdesk.web") / "texts"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
        for key, pair in data.items():
            if key in merged:
                raise TextCatalogueError(f"{item.name}: {key!r} is defined twice")
            if not isinstance(pair, dict) or any(not pair.get(loc) for loc in LOCALES):
                raise TextCatalogueError(f"{item.name}: {key!r} needs both en and zh-CN")
            merged[str(key)] = {loc: str(pair[loc]) for loc in LOCALES}
    return merged


def text(key: str, locale: str, **params: object) -> str:
    """The words for ``key`` in ``locale``; an unknown key shows itself, so tests catch it."""
    pair = catalogue().get(key)
    if pair is None:
        return key
    template = pair.get(locale) or pair["en"]
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
