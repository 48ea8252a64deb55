"""Agents' ticket search over subjects, numbers and messages, in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from test_tickets import MONDAY_9, ZH, open_ticket, staff

from walletdesk.api.app import create_app
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.support.helpcenter.tokenize import query_terms
from walletdesk.support.tickets import search, search_postgres
from walletdesk.support.tickets.search import INDEX_OBJECTS, MESSAGES_GIN, SUBJECTS_GIN

BACKENDS = ["sqlite", "postgres"]
URL = "/api/v1/agent/tickets/search"


@pytest.fixture
def client(container: Container, clock: FakeClock) -> Iterator[TestClient]:
    clock.set(MONDAY_9)
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def agent(client: TestClient, container: Container) -> Customer:
    return staff(client, container)


@pytest.fixture
def desk(client: TestClient, agent: Customer) -> dict[str, dict[str, Any]]:
    """Three customers' tickets in both languages, one with an internal note."""
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    en = sign_up(client, phone="+8613900139000", locale="en")
    tickets = {
        "refund": open_ticket(zh, "退款没到账", "我申请的退款三天了还没到账"),
        "failed": open_ticket(zh, "付款失败", "在茶馆付款失败，提示余额不足"),
        "declined": open_ticket(en, "Card declined", "My card was declined at checkout"),
    }
    note = agent.post(
        f"/api/v1/agent/tickets/{tickets['failed']['id']}/notes",
        json={"body": "已联系商家核实订单"},
    )
    assert note.status_code == 201
    return tickets


def found(agent: Customer, query: str, **params: Any) -> list[dict[str, Any]]:
    response = agent.get(URL, params={"q": query, **params})
    assert response.status_code == 200, response.json()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_agents_find_tickets_by_chinese_and_english_words(
    agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    refund = found(agent, "退款")
    assert refund[0]["id"] == desk["refund"]["id"]
    assert "<mark>退款</mark>" in refund[0]["snippet"]
    assert refund[0]["matched_message"]["kind"] == "public"
    assert refund[0]["customer_id"]

    assert found(agent, "declined")[0]["id"] == desk["declined"]["id"]
    # Normalised as the help search: full-width letters, any case, English endings.
    assert found(agent, "ＤＥＣＬＩＮＥ")[0]["id"] == desk["declined"]["id"]
    # ...and expanded with its synonyms: "refund" finds the Chinese ticket.
    assert found(agent, "refund")[0]["id"] == desk["refund"]["id"]
    assert found(agent, "余额不足")[0]["id"] == desk["failed"]["id"]


def test_an_agent_finds_a_ticket_by_its_number_and_by_an_internal_note(
    agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    by_number = found(agent, desk["failed"]["number"])
    assert by_number[0]["id"] == desk["failed"]["id"]
    assert by_number[0]["matched_message"] is None  # the number is the ticket's own

    by_note = found(agent, "商家核实")
    assert [item["id"] for item in by_note] == [desk["failed"]["id"]]
    assert by_note[0]["matched_message"]["kind"] == "internal"
    assert "<mark>商家核实</mark>" in by_note[0]["snippet"]


def test_a_subject_match_ranks_above_a_passing_mention_in_a_message(
    client: TestClient, agent: Customer
) -> None:
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    mention = open_ticket(
        zh,
        "账户问题",
        "我想问一下账户的安全设置、登录设备、绑定的银行卡，还有提现的规则和到账时间，以及手续费怎么算。",
    )
    subject = open_ticket(zh, "提现失败", "今天下午操作的")
    ranked = found(agent, "提现")
    assert [item["id"] for item in ranked] == [subject["id"], mention["id"]]
    assert ranked[0]["score"] > ranked[1]["score"] > 0


def test_messages_moved_by_a_merge_are_found_under_the_ticket_they_moved_to(
    client: TestClient, agent: Customer
) -> None:
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    target = open_ticket(zh, "退款", "退款没到账")
    source = open_ticket(zh, "订单", "订单号 A-7788")
    agent.post(f"/api/v1/agent/tickets/{source['id']}/merge", json={"into_ticket_id": target["id"]})
    hit = found(agent, "A-7788")[0]
    assert (hit["id"], hit["matched_message"]["kind"]) == (target["id"], "public")


def test_search_builds_its_index_for_tickets_stored_before_it_existed(
    container: Container, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    with container.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("ticket_subjects_search", "ticket_messages_search"):
                conn.execute(text(f"DROP TABLE {name}"))
        else:
            for table in ("tickets", "ticket_messages"):
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN search_vector"))
    assert "ticket_messages_search" in INDEX_OBJECTS
    assert found(agent, "退款")[0]["id"] == desk["refund"]["id"]
    assert found(agent, "商家核实")[0]["id"] == desk["failed"]["id"]
    assert found(agent, desk["declined"]["number"])[0]["id"] == desk["declined"]["id"]


def test_search_is_for_agents_only_and_needs_something_to_look_for(
    client: TestClient, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    customer = sign_up(client, phone="+8613700137000", locale="en")
    refused = customer.get(URL, params={"q": "退款"}, headers=ZH)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert refused.json()["detail"] == "您的角色无权执行此操作。"
    assert client.get(URL, params={"q": "退款"}).status_code == 401
    missing = agent.get(URL, headers={"Accept-Language": "en"})
    assert (missing.status_code, missing.json()["code"]) == (422, "validation_error")
    assert found(agent, "？？！") == []
    assert found(agent, "nothing like this anywhere") == []
    assert len(found(agent, "退款 付款 declined", limit=2)) == 2
    assert agent.get(URL, params={"q": "退款", "limit": 51}).status_code == 422


@contextmanager
def index_reads(engine: Engine) -> Iterator[list[int]]:
    """How many windows of the search index each search meanwhile read.

    SQLite: one per FTS5 ``MATCH`` in the statements it ran. PostgreSQL runs a search as
    one statement, with parts behind one-time filters: each search statement is run
    again under ``EXPLAIN ANALYZE``, and a window counts when a scan of tickets or
    messages by a tsquery (``@@``, or ``ts_match_vq`` for a walk) in its plan ran at
    least once."""
    seen: list[int] = []
    statements: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        if " MATCH " in args[2]:
            seen.append(args[2].count(" MATCH "))
        elif " @@ " in args[2]:
            statements.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        for sql, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", parameters)
            seen.append(_windows_run(plan.scalar_one()[0]["Plan"]))


def _windows_run(node: dict[str, Any]) -> int:
    conditions = " ".join(
        str(node.get(key, "")) for key in ("Filter", "Index Cond", "Recheck Cond")
    )
    ran = node.get("Relation Name") in {"tickets", "ticket_messages"} and (
        (" @@ " in conditions or "ts_match_vq(" in conditions) and node.get("Actual Loops", 0) > 0
    )
    return int(ran) + sum(_windows_run(child) for child in node.get("Plans", ()))


def test_any_word_is_looked_for_only_when_too_few_tickets_hold_every_word(
    client: TestClient, container: Container, agent: Customer
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    both = {
        open_ticket(en, "Card declined", "My card was declined at checkout")["id"],
        open_ticket(en, "Declined again", "The card got declined twice")["id"],
    }
    card_only = open_ticket(en, "New card", "When does my new card arrive")["id"]

    # Two tickets hold both words: a page of two is theirs, from one read of the index
    # (the subject and the message "every word" windows).
    with index_reads(container.engine) as reads:
        page = found(agent, "card declined", limit=2)
    assert {item["id"] for item in page} == both
    assert [item["every_word"] for item in page] == [True, True]
    assert sum(reads) == 2

    # A page of three: the ticket holding one word fills it up, after them.
    with index_reads(container.engine) as reads:
        page = found(agent, "card declined", limit=3)
    assert {item["id"] for item in page[:2]} == both
    assert (page[2]["id"], page[2]["every_word"]) == (card_only, False)
    assert [item["every_word"] for item in page[:2]] == [True, True]
    assert sum(reads) == 4  # ...then the "any word or synonym" ones

    # No ticket holds every word: those holding some are found all the same.
    page = found(agent, "declined checkout twice")
    assert {item["id"] for item in page} == both
    assert [item["every_word"] for item in page] == [False, False]


def test_a_synonym_finds_a_ticket_only_when_the_words_themselves_find_too_few(
    client: TestClient, agent: Customer
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    zh = sign_up(client, phone="+8613800138000", locale="zh-CN")
    english = open_ticket(en, "Refund", "Where is my refund?")["id"]
    chinese = open_ticket(zh, "退款没到账", "我申请的退款三天了还没到账")["id"]
    assert [item["id"] for item in found(agent, "refund", limit=1)] == [english]
    page = found(agent, "refund", limit=2)
    assert [item["id"] for item in page] == [english, chinese]
    assert [item["every_word"] for item in page] == [True, False]


def test_one_word_of_a_subject_fills_the_page_from_the_newest_tickets_only(
    client: TestClient, agent: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    older = open_ticket(en, "Card problem", "Hello there")["id"]
    open_ticket(en, "Something else", "Nothing to see")
    # No ticket holds both words; the older one's subject holds one of them.
    assert [item["id"] for item in found(agent, "card declined")] == [older]
    monkeypatch.setattr(search, "SUBJECT_SPAN", 1)  # only the newest ticket's subject
    assert found(agent, "card declined") == []
    # Every word is still looked for in every subject, however old.
    assert [item["id"] for item in found(agent, "card problem")] == [older]


def test_a_search_reads_the_index_once_and_the_page_once(
    client: TestClient, container: Container, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    found(agent, "退款")  # the index exists: the first search of a fresh database built it
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        page = found(agent, "退款", limit=1)
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    assert [item["id"] for item in page] == [desk["refund"]["id"]]
    # No catalogue lookup before it.
    assert not [sql for sql in statements if "sqlite_master" in sql or "to_regclass" in sql]
    desk_reads = [sql for sql in statements if "ticket" in sql]  # not the agent's session
    if container.engine.dialect.name == "postgresql":
        # One statement: the search, and the page's tickets and best messages joined to it.
        assert len(desk_reads) == 1
        assert " @@ " in desk_reads[0]
        assert "JOIN ticket_messages" in desk_reads[0]
    else:
        # The search, then the ticket and its message in one query.
        assert len(desk_reads) == 2
        assert " MATCH " in desk_reads[0]
        assert "FROM tickets LEFT OUTER JOIN" in desk_reads[1]


def test_a_search_leaves_its_pooled_connection_as_it_found_it(
    container: Container, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    # PostgreSQL reads in autocommit; the next user of the connection gets transactions.
    # SQLite keeps pysqlite's own transaction handling off (db/engine.py) after a search.
    found(agent, "退款")
    with container.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        if container.engine.dialect.name == "sqlite":
            assert driver.isolation_level is None
        else:
            assert driver.autocommit is False
        conn.execute(text("SELECT 1"))
        assert conn.in_transaction()


# GIN indexes are PostgreSQL's: this one runs there only (at both isolation levels).
@pytest.mark.parametrize("database_settings", ["postgres", "postgres-serializable"], indirect=True)
def test_postgres_ticket_indexes_made_with_fastupdate_on_are_switched_off(
    client: TestClient, container: Container, agent: Customer, desk: dict[str, dict[str, Any]]
) -> None:
    def options() -> list[Any]:
        with container.engine.connect() as conn:
            return [
                conn.execute(
                    text("SELECT reloptions FROM pg_class WHERE oid = CAST(:name AS regclass)"),
                    {"name": name},
                ).scalar_one()
                for name in (SUBJECTS_GIN, MESSAGES_GIN)
            ]

    def reset() -> None:  # as an index made before it was off
        with container.engine.begin() as conn:
            for name in (SUBJECTS_GIN, MESSAGES_GIN):
                conn.execute(text(f"ALTER INDEX {name} RESET (fastupdate)"))
        assert options() == [None, None]

    assert options() == [["fastupdate=off"], ["fastupdate=off"]]  # as built
    reset()
    # A search reads such an index as it is (it does not look in the catalogue)...
    assert found(agent, "退款")[0]["id"] == desk["refund"]["id"]
    assert options() == [None, None]
    zh = sign_up(client, phone="+8613700137000", locale="zh-CN")
    later = open_ticket(zh, "提现失败", "银行卡提现一直失败")  # ...the next write switches it
    assert options() == [["fastupdate=off"], ["fastupdate=off"]]
    assert found(agent, "银行卡提现")[0]["id"] == later["id"]
    assert found(agent, later["number"])[0]["id"] == later["id"]
    assert found(agent, "商家核实")[0]["id"] == desk["failed"]["id"]


def test_english_words_are_found_by_their_beginnings_and_endings_on_both_databases(
    client: TestClient, agent: Customer
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    cards = open_ticket(en, "Help", "Both my cards stopped working yesterday")["id"]
    long_word = open_ticket(en, "Question", "Is internationalization supported?")["id"]
    # A word being typed, a shorter form, a longer form: each a prefix of the indexed word.
    assert [item["id"] for item in found(agent, "card")] == [cards]
    assert [item["id"] for item in found(agent, "stopp")] == [cards]
    assert [item["id"] for item in found(agent, "working")] == [cards]
    # Past PREFIX_LEXEMES_UP_TO letters PostgreSQL matches the prefix itself: still found.
    assert len("internationaliza") == search.PREFIX_LEXEMES_UP_TO < len("internationalizat")
    for query in ("internationaliza", "internationalizat", "internationalization"):
        assert [item["id"] for item in found(agent, query)] == [long_word]
    # A prefix finds the words it begins, never a word it merely resembles.
    assert found(agent, "cardboard") == []
    assert found(agent, "internationalise") == []


def test_postgres_vectors_hold_each_english_word_under_its_prefixes() -> None:
    vector = search.postgres_vector(["cards", "退款", "a", "card", "000123"])
    assert vector == "'card':1A,4A 'cards':1A '退款':2A 'a':3A '000123':5A"
    assert search.postgres_lexemes("verification") == [
        "verification"[:length] for length in range(4, 13)
    ]
    # A long word: its prefixes up to PREFIX_LEXEMES_UP_TO letters, and itself.
    word = "internationalization"
    assert search.postgres_lexemes(word) == [
        *(word[:length] for length in range(4, search.PREFIX_LEXEMES_UP_TO + 1)),
        word,
    ]
    # Chinese, digits, mixed and short tokens are held as they are.
    for token in ("退款没到账", "20261125", "a1b2c3", "abc"):
        assert search.postgres_lexemes(token) == [token]


@pytest.mark.parametrize("reading", list(search_postgres.Reading))
def test_the_window_is_the_newest_matches_however_the_messages_are_read(
    client: TestClient,
    container: Container,
    agent: Customer,
    monkeypatch: pytest.MonkeyPatch,
    reading: search_postgres.Reading,
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    oldest, middle, newest = (
        open_ticket(en, f"Ticket {n}", f"The parcel number {n} arrived wet")["id"]
        for n in ("one", "two", "three")
    )
    monkeypatch.setattr(search, "WINDOW", 2)  # the two newest matches...
    # ...of every word, read on PostgreSQL all at once, or the newest message first (from
    # the index, or walked), then the older ones (SQLite reads them in one go): either
    # way the oldest match is outside the window.
    monkeypatch.setattr(search, "RECENT_MESSAGES", 1)
    monkeypatch.setattr(search_postgres, "WALK_SPAN", 1)
    monkeypatch.setattr(search_postgres, "message_reading", lambda *_: reading)
    with index_reads(container.engine) as reads:
        page = found(agent, "parcel wet", limit=2)
    assert {item["id"] for item in page} == {newest, middle}
    postgres = container.engine.dialect.name == "postgresql"
    # Subjects, and messages in one or two parts.
    assert sum(reads) == (3 if postgres and reading is not search_postgres.Reading.WHOLE else 2)

    # A window the recent messages fill is read in one part; so is one word's.
    monkeypatch.setattr(search, "WINDOW", 1)
    with index_reads(container.engine) as reads:
        assert [item["id"] for item in found(agent, "parcel wet", limit=1)] == [newest]
        assert [item["id"] for item in found(agent, "parcel", limit=1)] == [newest]
    assert sum(reads) == 4
    assert oldest not in {item["id"] for item in found(agent, "parcel")}


def test_the_recent_messages_are_read_first_only_when_they_may_fill_the_window() -> None:
    # 100,000 messages; "factor" in 2,420 of them, "two" in 4,480; 验证 and 证码 in ~10%.
    shares = {"two": 0.0448, "factor": 0.0242, "验证": 0.1559, "证码": 0.0978}
    statistics = search_postgres.WordStatistics(100_000, 100_000.0, shares)
    assert statistics.most_holding_all(["two", "factor"]) == pytest.approx(2_420)
    assert statistics.expected(["two", "factor"]) == pytest.approx(108.4, abs=0.1)
    # Even if every "factor" message held "two", the newest 20,000 hold 484 of them, fewer
    # than a window of 500: the older ones would be read too, so all are read at once.
    assert not search_postgres.reads_recent_first(statistics, ["two", "factor"], 20_000, 500)
    assert search_postgres.reads_recent_first(statistics, ["验证", "证码"], 20_000, 500)
    # They could fill a window of 400, but the planner expects 108 messages to hold both:
    # it would visit every match whatever the range, and a split read them twice.
    assert not search_postgres.reads_recent_first(statistics, ["two", "factor"], 20_000, 400)
    more = search_postgres.WordStatistics(100_000, 100_000.0, {**shares, "two": 0.2})
    assert more.expected(["two", "factor"]) >= search_postgres.RANGE_READ_FROM
    assert search_postgres.reads_recent_first(more, ["two", "factor"], 20_000, 400)
    # A word the statistics do not list is rarer than those they do: never worth a split.
    assert not search_postgres.reads_recent_first(statistics, ["验证", "zebra"], 20_000, 1)
    # One word, a desk no larger than the recent part, or a table never analysed: no split.
    assert not search_postgres.reads_recent_first(statistics, ["验证"], 20_000, 1)
    assert not search_postgres.reads_recent_first(statistics, ["验证", "证码"], 100_000, 1)
    unanalysed = search_postgres.WordStatistics(100_000, 0.0, {})
    assert not search_postgres.reads_recent_first(unanalysed, ["验证", "证码"], 20_000, 1)


def lexeme_groups(query: str) -> list[list[str]]:
    return search.lexeme_groups(query, search.own_terms(query, query_terms(query)))


def test_a_phrase_whose_pairs_go_together_is_walked_and_words_apart_are_not() -> None:
    Reading = search_postgres.Reading
    shares = {"two": 0.0448, "factor": 0.0242, "验证": 0.1559, "证码": 0.0978, "退款": 0.108}
    statistics = search_postgres.WordStatistics(100_000, 100_000.0, shares)
    # 验证码's pairs go together: as many messages hold both as hold the rarer (9.8%), not
    # the planner's 1.5% (it multiplies their shares). The newest 10,000 messages should
    # hold ~980 of them: the window of 500 is found by walking those.
    verification = lexeme_groups("验证码")
    assert verification == [["验证", "证码"]]
    assert statistics.phrase_share(verification) == pytest.approx(0.0978)
    assert search_postgres.walks(statistics, verification, 500)
    assert search_postgres.message_reading(statistics, verification, 20_000, 500) is Reading.WALK
    # Apart, words count as independent: 验证 and 退款, 1.7%: ~170 in the newest
    # 10,000, too few for a window of 500. Read through the index, the newest 20,000 first.
    apart = lexeme_groups("验证 退款")
    assert apart == [["验证"], ["退款"]]
    assert statistics.phrase_share(apart) == pytest.approx(0.1559 * 0.108)
    assert not search_postgres.walks(statistics, apart, 500)
    assert search_postgres.message_reading(statistics, apart, 20_000, 500) is Reading.RANGE
    # Each English word is apart: "two factor", 0.1%, read whole (see the test above).
    two_factor = [["two"], ["factor"]]
    assert search_postgres.message_reading(statistics, two_factor, 20_000, 500) is Reading.WHOLE
    # The walk wants its window filled WALK_FILL times over: 证码 alone would fill 500
    # 1.96 times in WALK_SPAN messages, so a window of 800 (1.22x) is not walked.
    assert search_postgres.walks(statistics, [["证码", "证码"]], 782)
    assert not search_postgres.walks(statistics, [["证码", "证码"]], 800)
    # One lexeme, a pair the statistics do not list, or a table never analysed: no walk.
    assert not search_postgres.walks(statistics, [["验证"]], 1)
    assert not search_postgres.walks(statistics, [["验证", "zebra"]], 1)
    unanalysed = search_postgres.WordStatistics(100_000, 0.0, {})
    assert not search_postgres.walks(unanalysed, verification, 1)


def test_one_words_window_is_sorted_when_its_matches_cost_less_than_a_walk() -> None:
    # 100,000 messages, window 500: a walk tests 500 / share messages, a sort handles
    # share x 100,000 matches, at three times the cost each: sorted below a share of 4.1%.
    statistics = search_postgres.WordStatistics(
        100_000, 100_000.0, {"refund": 0.09, "frozen": 0.045, "factor": 0.0242}
    )
    assert not search_postgres.sorts(statistics, "refund", 500)  # walk 5,600; sort 9,000
    assert not search_postgres.sorts(statistics, "frozen", 500)  # 11,100 against 4,500
    assert search_postgres.sorts(statistics, "factor", 500)  # 20,700 against 2,420
    assert search_postgres.sorts(statistics, "zebra", 500)  # rarer than all listed
    # The same word on a desk ten times the size: more matches to sort, the same walk.
    larger = search_postgres.WordStatistics(1_000_000, 1_000_000.0, statistics.share)
    assert not search_postgres.sorts(larger, "factor", 500)
    # A table never analysed: the planner chooses (the window is not forced either way).
    assert not search_postgres.sorts(search_postgres.WordStatistics(0, 0.0, {}), "zebra", 500)


@pytest.mark.parametrize("sort", [True, False])
def test_one_words_window_is_its_newest_matches_sorted_or_walked(
    client: TestClient,
    container: Container,
    agent: Customer,
    monkeypatch: pytest.MonkeyPatch,
    sort: bool,
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    oldest, middle, newest = (
        open_ticket(en, f"Parcel {n}", f"The parcel number {n} arrived")["id"]
        for n in ("one", "two", "three")
    )
    monkeypatch.setattr(search, "WINDOW", 2)  # the two newest subjects and messages
    monkeypatch.setattr(search_postgres, "sorts", lambda *_: sort)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        page = found(agent, "parcel")
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    assert {item["id"] for item in page} == {newest, middle}
    assert oldest not in {item["id"] for item in page}
    if container.engine.dialect.name == "postgresql":
        # Both windows of the one word, sorted or walked as told.
        search_sql = next(sql for sql in statements if " @@ " in sql)
        assert search_sql.count("ORDER BY seq + 0 DESC") == (2 if sort else 0)


# The planner's statistics are PostgreSQL's.
@pytest.mark.parametrize("database_settings", ["postgres"], indirect=True)
def test_postgres_message_statistics_are_the_planners_and_are_reused_for_a_while(
    client: TestClient, container: Container, agent: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    for n in range(4):
        open_ticket(en, f"Ticket {n}", "parcel arrived wet" if n % 2 else "parcel arrived")
    with container.engine.connect() as conn:
        conn.execute(text("ANALYZE ticket_messages"))
        conn.execute(text("ANALYZE tickets"))
        conn.commit()
        both = search_postgres.search_statistics(conn)
        newest = conn.execute(text("SELECT max(seq) FROM ticket_messages")).scalar_one()
        newest_ticket, tickets = conn.execute(text("SELECT max(seq), count(*) FROM tickets")).one()
    statistics = both.messages
    assert statistics.newest == newest
    assert statistics.rows == 4
    assert statistics.share["parcel"] == pytest.approx(1.0)
    assert statistics.share["wet"] == pytest.approx(0.5)
    assert statistics.most_holding_all(["parcel", "wet"]) == pytest.approx(2)
    # Subjects: every one of them says "Ticket".
    assert (both.subjects.newest, both.subjects.rows) == (newest_ticket, tickets)
    assert both.subjects.share["ticket"] == pytest.approx(1.0)
    assert "wet" not in both.subjects.share
    # Read again only once STATISTICS_SECONDS have passed.
    open_ticket(en, "Later", "parcel")
    with container.engine.connect() as conn:
        assert search_postgres.search_statistics(conn) is both
        monkeypatch.setattr(search_postgres, "STATISTICS_SECONDS", 0.0)
        assert search_postgres.search_statistics(conn).messages.newest == newest + 1


# The format of PostgreSQL's vectors: a database indexed the older way is re-indexed.
@pytest.mark.parametrize("database_settings", ["postgres"], indirect=True)
def test_postgres_vectors_of_the_older_format_are_rewritten_by_the_next_write(
    client: TestClient, container: Container, agent: Customer
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    cards = open_ticket(en, "Help", "Both my cards stopped working")["id"]
    with container.engine.begin() as conn:  # as the older code left it: whole words only
        for table, index in (("tickets", SUBJECTS_GIN), ("ticket_messages", MESSAGES_GIN)):
            conn.execute(text(f"DROP INDEX {index}"))
            conn.execute(text(f"UPDATE {table} SET search_vector = strip(search_vector)"))
            conn.execute(
                text(f"UPDATE {table} SET search_vector = ts_delete(search_vector, 'card')")
            )
        for name, table in zip(search.LEGACY_GIN, ("tickets", "ticket_messages"), strict=True):
            conn.execute(text(f"CREATE INDEX {name} ON {table} USING GIN (search_vector)"))
    assert found(agent, "card") == []  # read as it is until something is written
    later = open_ticket(en, "Cards", "Another one")["id"]
    assert {item["id"] for item in found(agent, "card")} == {cards, later}
    with container.engine.connect() as conn:
        names = set(
            conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_ticket%search%'")
            ).scalars()
        )
    assert names == {SUBJECTS_GIN, MESSAGES_GIN}


def test_a_new_ticket_is_found_at_once_and_written_once(
    client: TestClient, container: Container, agent: Customer
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    open_ticket(en, "Warmup", "The index exists before the ticket we watch")
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(" ".join(args[2].split()))

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        ticket = open_ticket(en, "Zebra crossing", "A question")
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    assert ticket["number"].startswith("WD-")
    for query in ("zebra", ticket["number"]):
        assert found(agent, query)[0]["id"] == ticket["id"]
    inserts = [sql for sql in statements if sql.startswith("INSERT INTO tickets ")]
    updates = [sql for sql in statements if sql.startswith("UPDATE tickets ")]
    assert len(inserts) == 1
    if container.engine.dialect.name == "postgresql":
        # Number and vector in the INSERT: no UPDATE leaving dead row versions behind.
        assert "search_vector" in inserts[0]
        assert updates == []
    else:  # the number once the seq is known, in place; the subject in its own index
        assert len(updates) == 1
        assert [sql for sql in statements if sql.startswith("INSERT INTO ticket_subjects_search")]


def test_a_new_message_is_found_at_once_and_written_once(
    client: TestClient, container: Container, agent: Customer
) -> None:
    en = sign_up(client, phone="+8613900139000", locale="en")
    ticket = open_ticket(en, "Help", "My first message")
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(" ".join(args[2].split()))

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        reply = en.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "zebra crossing"})
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    assert reply.status_code == 201, reply.json()
    hit = found(agent, "zebra")[0]
    assert (hit["id"], hit["matched_message"]["kind"]) == (ticket["id"], "public")
    # PostgreSQL: the vector is in the message's INSERT, not an UPDATE leaving a dead
    # row version behind; SQLite: the message and its separate index entry.
    inserts = [sql for sql in statements if sql.startswith("INSERT INTO ticket_messages ")]
    assert len(inserts) == 1
    assert not [sql for sql in statements if sql.startswith("UPDATE ticket_messages")]
    if container.engine.dialect.name == "postgresql":
        assert "search_vector" in inserts[0]
    else:
        assert [sql for sql in statements if sql.startswith("INSERT INTO ticket_messages_search")]
