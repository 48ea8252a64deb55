"""Help-centre use cases: load the shipped articles, read, list, search, and edit.

Every write runs in one transaction (:func:`run_transaction`) that changes the
article row and its search-index entry together.
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, insert, select, update

from walletdesk.audit import log as audit
from walletdesk.core.clock import Clock, SystemClock
from walletdesk.core.errors import NotFound
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import Principal, RequestContext
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support.helpcenter.articles import (
    LOCALES,
    Article,
    ArticleInvalid,
    ArticleStatus,
    Category,
    shipped_articles,
    validate,
)
from walletdesk.support.helpcenter.search import MAX_LIMIT, SearchHit, search_in
from walletdesk.support.helpcenter.search_index import (
    ensure_search_index,
    index_articles,
    search_index_ready,
)
from walletdesk.support.helpcenter.snippets import make_snippet, plain_text
from walletdesk.support.helpcenter.tables import help_articles as t

CATEGORY_ORDER = list(Category)

# Engines whose search index this process has found ready (or made so): checking once
# per engine keeps the catalogue lookups and the count check off every search.
_INDEX_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as stored. ``fallback`` is True when it is in another language than asked."""

    article: Article
    updated_at: datetime
    edited_by: uuid.UUID | None
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What :func:`load_articles` did, by count of (slug, locale) rows."""

    inserted: int
    updated: int
    unchanged: int
    kept_edited: int


def _article(row: Any) -> Article:
    return Article(
        slug=row.slug,
        locale=row.locale,
        category=Category(row.category),
        title=row.title,
        body_markdown=row.body_markdown,
        tags=tuple(row.tags),
        status=ArticleStatus(row.status),
    )


def _values(article: Article) -> dict[str, object]:
    return {
        "category": article.category.value,
        "title": article.title,
        "body_markdown": article.body_markdown,
        "tags": list(article.tags),
        "status": article.status.value,
    }


def load_articles(
    engine: Engine, clock: Clock | None = None, articles: list[Article] | None = None
) -> LoadReport:
    """Upsert the shipped articles (or ``articles``) and index them. Idempotent.

    Creates the search index first if it is missing. A row an admin has edited
    (``edited_by`` set) keeps the admin's text; a row still as shipped is
    refreshed when the shipped text changed. Rows not in the set are left alone.
    """
    ensure_search_index(engine)
    _INDEX_READY.add(engine)
    wanted = shipped_articles() if articles is None else [validate(a) for a in articles]
    now = (clock or SystemClock()).now()

    def work(conn: Connection) -> LoadReport:
        existing = {(row.slug, row.locale): row for row in conn.execute(select(t))}
        inserted = updated = unchanged = kept = 0
        to_index: list[tuple[int, Article]] = []
        for article in wanted:
            row = existing.get((article.slug, article.locale))
            if row is None:
                article_id = conn.execute(
                    insert(t)
                    .values(slug=article.slug, locale=article.locale, updated_at=now)
                    .values(**_values(article))
                    .returning(t.c.id)
                ).scalar_one()
                to_index.append((article_id, article))
                inserted += 1
            elif row.edited_by is not None:
                kept += 1
            elif _article(row) != article:
                conn.execute(
                    update(t).where(t.c.id == row.id).values(updated_at=now, **_values(article))
                )
                to_index.append((row.id, article))
                updated += 1
            else:
                unchanged += 1
        index_articles(conn, to_index)
        return LoadReport(inserted, updated, unchanged, kept)

    return run_transaction(engine, work)


def reindex_all(engine: Engine) -> int:
    """Rebuild every row's index entry (after a tokenizer change). Returns rows indexed."""
    ensure_search_index(engine)
    _INDEX_READY.add(engine)

    def work(conn: Connection) -> int:
        rows = list(conn.execute(select(t)))
        index_articles(conn, [(row.id, _article(row)) for row in rows])
        return len(rows)

    return run_transaction(engine, work)


def get_article(engine: Engine, slug: str, locale: str) -> StoredArticle:
    """The published article ``slug`` in ``locale``, else in the other language.

    Raises NotFound when no published version exists in any language.
    """
    preference = case((t.c.locale == locale, 0), else_=1)
    with engine.connect() as conn:
        row = conn.execute(
            select(t)
            .where(t.c.slug == slug, t.c.status == ArticleStatus.PUBLISHED.value)
            .order_by(preference, t.c.locale)
            .limit(1)
        ).first()
    if row is None:
        raise NotFound("no such help article", slug=slug)
    return StoredArticle(_article(row), row.updated_at, row.edited_by, row.locale != locale)


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """An article in a list: ``snippet`` is its opening, HTML-escaped."""

    slug: str
    title: str
    category: str
    snippet: str


def list_articles(
    engine: Engine, locale: str, *, category: str | None = None, limit: int = MAX_LIMIT
) -> list[ArticleSummary]:
    """Published articles in ``locale``, grouped by category (in :class:`Category` order)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    order = case(
        {category.value: position for position, category in enumerate(CATEGORY_ORDER)},
        value=t.c.category,
        else_=len(CATEGORY_ORDER),
    )
    query = select(t.c.slug, t.c.title, t.c.category, t.c.body_markdown).where(
        t.c.locale == locale, t.c.status == ArticleStatus.PUBLISHED.value
    )
    if category is not None:
        query = query.where(t.c.category == category)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(order, t.c.title).limit(limit)).all()
    return [
        ArticleSummary(
            row.slug, row.title, row.category, make_snippet(plain_text(row.body_markdown), [])
        )
        for row in rows
    ]


def search_articles(
    engine: Engine,
    query: str,
    *,
    locale: str | None = None,
    category: str | None = None,
    limit: int = 10,
) -> list[SearchHit]:
    """Search published articles; see :func:`search.search_in` for the contract.

    The first search on an engine checks the index once and builds or upgrades it
    if needed (a database from before the current index layout upgrades itself).
    """
    if engine not in _INDEX_READY:
        with engine.connect() as conn:
            ready = search_index_ready(conn)
        if not ready:
            ensure_search_index(engine)
        _INDEX_READY.add(engine)
    with engine.connect() as conn:
        return search_in(conn, query, locale=locale, category=category, limit=limit)


def do_update_article(
    engine: Engine,
    clock: Clock,
    principal: Principal,
    slug: str,
    locale: str,
    *,
    title: str | None = None,
    body_markdown: str | None = None,
    tags: list[str] | None = None,
    category: Category | None = None,
    status: ArticleStatus | None = None,
    ctx: RequestContext | None = None,
) -> StoredArticle:
    """Edit one language of an article, or create it when that language is missing.

    Needs Permission.MANAGE_CONTENT (raises Forbidden, nothing changed). Fields left
    None keep their value; a new language needs title and body (ArticleInvalid
    otherwise) and takes the category of the other language unless given. Raises
    NotFound when the slug exists in no language. The row is marked as edited by
    ``principal`` (so later loads of shipped text keep it), re-indexed, and audited
    with before/after values, all in one transaction.
    """
    authorize(principal.role, Permission.MANAGE_CONTENT)
    if locale not in LOCALES:
        raise ArticleInvalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    context = ctx or RequestContext()

    def work(conn: Connection) -> StoredArticle:
        now = clock.now()
        rows = {row.locale: row for row in conn.execute(select(t).where(t.c.slug == slug))}
        if not rows:
            raise NotFound("no such help article", slug=slug)
        row = rows.get(locale)
        if row is None:
            if title is None or body_markdown is None:
                raise ArticleInvalid("a new language needs a title and a body", field="title")
            sibling = _article(next(iter(rows.values())))
            before = None
            current = Article(slug, locale, sibling.category, title, body_markdown)
        else:
            current = _article(row)
            before = _values(current)
        changed = validate(
            replace(
                current,
                title=current.title if title is None else title,
                body_markdown=current.body_markdown if body_markdown is None else body_markdown,
                tags=current.tags if tags is None else tuple(tags),
                category=current.category if category is None else category,
                status=current.status if status is None else status,
            )
        )
        values = {**_values(changed), "updated_at": now, "edited_by": principal.user.id}
        if row is None:
            article_id = conn.execute(
                insert(t).values(slug=slug, locale=locale, **values).returning(t.c.id)
            ).scalar_one()
        else:
            article_id = row.id
            conn.execute(update(t).where(t.c.id == article_id).values(**values))
        moved: list[tuple[int, Article]] = []
        if changed.category != current.category:
            # One slug, one category: move the other language along.
            conn.execute(
                update(t)
                .where(t.c.slug == slug, t.c.locale != locale)
                .values(category=changed.category.value, updated_at=now)
            )
            moved = [
                (other.id, replace(_article(other), category=changed.category))
                for other in rows.values()
                if other.locale != locale
            ]
        index_articles(conn, [*moved, (article_id, changed)])
        audit.record(
            conn,
            now=now,
            action="help_article.updated",
            actor_id=principal.user.id,
            actor_role=principal.role.value,
            subject_type="help_article",
            subject_id=f"{slug}:{locale}",
            before=before,
            after=_values(changed),
            source_ip=context.source_ip,
            user_agent=context.user_agent or None,
        )
        return StoredArticle(changed, now, principal.user.id)

    return run_transaction(engine, work)


def find_articles(
    engine: Engine,
    query: str | None,
    *,
    locale: str,
    category: str | None = None,
    limit: int = 10,
) -> list[ArticleSummary]:
    """The help centre's list: search results for a non-blank ``query``, else the articles
    of ``locale`` grouped by category. Snippets are HTML-escaped, matches in ``<mark>``."""
    if query is None or not query.strip():
        return list_articles(engine, locale, category=category, limit=limit)
    hits = search_articles(engine, query, locale=locale, category=category, limit=limit)
    return [ArticleSummary(hit.slug, hit.title, hit.category, hit.snippet) for hit in hits]
