"""Help articles as data: the model, the front-matter format, and the shipped set.

A shipped article is ``data/help/<locale>/<slug>.md``::

    ---
    slug: how-to-top-up
    category: payment_failure
    locale: en
    title: How to top up your balance
    tags: [top up, balance, bank card]
    ---
    Markdown body...

Front matter is a small YAML subset (``key: value`` lines, ``[a, b]`` lists) read
here, so loading articles needs no YAML library. Every slug ships in every locale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

from walletdesk.core.errors import ValidationError

LOCALES = ("zh-CN", "en")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 120
MAX_TITLE = 200
MAX_TAGS = 20
MAX_TAG = 40
MAX_BODY = 20_000
_SHIPPED = "data/help"


class Category(StrEnum):
    """The five reasons people contact a wallet, plus contact and other (DOMAIN.md §1)."""

    ACCOUNT_SECURITY = "account_security"
    PAYMENT_FAILURE = "payment_failure"
    REFUND = "refund"
    ACCOUNT_UPDATE = "account_update"
    LIMIT_INCREASE = "limit_increase"
    CONTACT = "contact"
    OTHER = "other"


class ArticleStatus(StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"


class ArticleInvalid(ValidationError):
    """An article's fields break the rules above; nothing was stored."""

    code = "help_article_invalid"


@dataclass(frozen=True, slots=True)
class Article:
    """One article in one language. ``tags`` are free words that also get indexed."""

    slug: str
    locale: str
    category: Category
    title: str
    body_markdown: str
    tags: tuple[str, ...] = ()
    status: ArticleStatus = ArticleStatus.PUBLISHED


def validate(article: Article) -> Article:
    """Return ``article`` unchanged if every field is acceptable, else raise ArticleInvalid."""
    if len(article.slug) > MAX_SLUG or not SLUG.fullmatch(article.slug):
        raise ArticleInvalid("slug must be lower-case words joined by hyphens", field="slug")
    if article.locale not in LOCALES:
        raise ArticleInvalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    if not article.title.strip() or len(article.title) > MAX_TITLE:
        raise ArticleInvalid(f"title must be 1 to {MAX_TITLE} characters", field="title")
    if not article.body_markdown.strip() or len(article.body_markdown) > MAX_BODY:
        raise ArticleInvalid(f"body must be 1 to {MAX_BODY} characters", field="body_markdown")
    if len(article.tags) > MAX_TAGS or any(
        not tag.strip() or len(tag) > MAX_TAG for tag in article.tags
    ):
        raise ArticleInvalid(f"at most {MAX_TAGS} tags of 1 to {MAX_TAG} characters", field="tags")
    return article


def _value(raw: str) -> str | list[str]:
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        return [item.strip().strip("\"'") for item in raw[1:-1].split(",") if item.strip()]
    return raw.strip("\"'")


def parse_article(text: str, *, source: str = "<text>") -> Article:
    """Parse one article file. Raises ArticleInvalid naming ``source`` on any problem."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleInvalid(f"{source}: front matter must start with ---")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ArticleInvalid(f"{source}: front matter is not closed with ---") from None
    fields: dict[str, str | list[str]] = {}
    for line in lines[1:end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, raw = line.partition(":")
        if not colon:
            raise ArticleInvalid(f"{source}: front-matter line without ':': {line!r}")
        fields[key.strip()] = _value(raw)
    missing = {"slug", "category", "locale", "title"} - fields.keys()
    if missing:
        raise ArticleInvalid(f"{source}: front matter lacks {', '.join(sorted(missing))}")
    tags = fields.get("tags", [])
    scalars = {key: value for key, value in fields.items() if isinstance(value, str)}
    if isinstance(tags, str) or len(scalars) != len(fields) - ("tags" in fields):
        raise ArticleInvalid(f"{source}: only tags may be a list, and it must be one")
    try:
        category = Category(scalars["category"])
        status = ArticleStatus(scalars.get("status", ArticleStatus.PUBLISHED.value))
    except ValueError as exc:
        raise ArticleInvalid(f"{source}: {exc}") from None
    article = Article(
        slug=scalars["slug"],
        locale=scalars["locale"],
        category=category,
        title=scalars["title"],
        body_markdown="\n".join(lines[end + 1 :]).strip() + "\n",
        tags=tuple(tags),
        status=status,
    )
    try:
        return validate(article)
    except ArticleInvalid as exc:
        raise ArticleInvalid(f"{source}: {exc.detail}", **exc.params) from None


def check_every_locale(articles: Iterable[Article]) -> None:
    """Raise ArticleInvalid unless each slug exists exactly once per locale, same category."""
    by_slug: dict[str, dict[str, Article]] = {}
    for article in articles:
        seen = by_slug.setdefault(article.slug, {})
        if article.locale in seen:
            raise ArticleInvalid(f"{article.slug} appears twice in {article.locale}")
        seen[article.locale] = article
    for slug, versions in by_slug.items():
        if set(versions) != set(LOCALES):
            raise ArticleInvalid(f"{slug} is missing in {set(LOCALES) - set(versions)}")
        if len({version.category for version in versions.values()}) != 1:
            raise ArticleInvalid(f"{slug} has a different category in each locale")


def shipped_articles() -> list[Article]:
    """Every article shipped in the package, validated, sorted by (slug, locale)."""
    root = resources.files("walletdesk").joinpath(_SHIPPED)
    articles: list[Article] = []
    for locale in LOCALES:
        folder = root.joinpath(locale)
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if not entry.name.endswith(".md"):
                continue
            source = f"{_SHIPPED}/{locale}/{entry.name}"
            article = parse_article(entry.read_text(encoding="utf-8"), source=source)
            if article.locale != locale or f"{article.slug}.md" != entry.name:
                raise ArticleInvalid(f"{source}: slug and locale must match the file's path")
            articles.append(article)
    check_every_locale(articles)
    return sorted(articles, key=lambda article: (article.slug, article.locale))
