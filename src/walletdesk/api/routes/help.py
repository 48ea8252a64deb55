"""Help-centre articles (API.md "Customer service"). Public: no login needed.

The language is the ``locale`` parameter, else the request's ``Accept-Language``.
Snippets are HTML-escaped text with the matched words in ``<mark>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from walletdesk.api.deps import App
from walletdesk.api.i18n import request_locale
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.helpcenter.search import MAX_LIMIT
from walletdesk.support.helpcenter.service import find_articles, get_article

router = APIRouter(prefix="/api/v1/help", tags=["help"])

Locale = Literal["zh-CN", "en"]
# Longer than any question worth searching; keeps the OR query short.
MAX_QUERY_CHARS = 200


class ArticleListItem(BaseModel):
    slug: str
    title: str
    category: str
    snippet: str


class ArticleList(BaseModel):
    items: list[ArticleListItem]


class ArticlePublic(BaseModel):
    slug: str
    locale: str
    category: str
    title: str
    body_markdown: str
    tags: list[str]
    updated_at: datetime
    fallback: bool


@router.get("/articles")
def list_or_search_articles(
    c: App,
    request: Request,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS)] = None,
    locale: Locale | None = None,
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> ArticleList:
    """With ``q``: the best matches first. Without: the articles, grouped by category."""
    summaries = find_articles(
        c.engine,
        q,
        locale=locale or request_locale(request),
        category=category.value if category is not None else None,
        limit=limit,
    )
    items = [
        ArticleListItem(slug=s.slug, title=s.title, category=s.category, snippet=s.snippet)
        for s in summaries
    ]
    return ArticleList(items=items)


@router.get("/articles/{slug}")
def read_article(
    c: App, request: Request, slug: str, locale: Locale | None = None
) -> ArticlePublic:
    """The article in the asked language, else in the other one (``fallback`` true); 404 if none."""
    stored = get_article(c.engine, slug, locale or request_locale(request))
    article = stored.article
    return ArticlePublic(
        slug=article.slug,
        locale=article.locale,
        category=article.category.value,
        title=article.title,
        body_markdown=article.body_markdown,
        tags=list(article.tags),
        updated_at=stored.updated_at,
        fallback=stored.fallback,
    )
