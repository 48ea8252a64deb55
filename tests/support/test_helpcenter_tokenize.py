"""Tokenising Chinese and English for the help centre (DOMAIN.md §7): pure functions, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from walletdesk.support.helpcenter.snippets import (
    _normalised_with_origins,
    make_snippet,
    plain_text,
)
from walletdesk.support.helpcenter.tokenize import (
    QueryTerm,
    index_tokens,
    normalise,
    normalise_character,
    query_terms,
    synonyms_of,
)


def _found(query: str, document: str) -> bool:
    indexed = set(index_tokens(document))
    return any(term.matches(token) for term in query_terms(query) for token in indexed)


def test_chinese_is_indexed_as_overlapping_bigrams_plus_single_characters() -> None:
    assert index_tokens("申请退款") == ["申请", "请退", "退款", "申", "请", "退", "款"]


def test_a_two_character_word_is_found_inside_a_longer_sentence() -> None:
    assert _found("退款", "我要申请退款")
    assert _found("限额", "提高限额")


def test_a_one_character_query_matches_the_single_character_tokens() -> None:
    assert query_terms("卡") == (QueryTerm("卡"),)
    assert _found("卡", "银行卡被拒绝")


def test_an_english_prefix_matches_the_whole_word() -> None:
    assert QueryTerm("refun", prefix=True) in query_terms("refun")
    assert _found("refun", "How to request a refund")
    assert not _found("refun", "How to top up")


def test_a_word_of_one_to_three_letters_is_matched_whole_not_as_a_prefix() -> None:
    assert query_terms("pay") == (QueryTerm("pay"),)
    assert [term.prefix for term in query_terms("id fee app")] == [False, False, False]
    assert _found("pay", "How to pay a merchant")
    assert not _found("pay", "Your payment failed")
    assert not _found("car", "Add a bank card")


def test_a_word_of_four_letters_or_more_is_a_prefix() -> None:
    assert query_terms("card") == (QueryTerm("card", prefix=True),)
    assert _found("card", "Remove one of your cards")
    assert _found("paym", "Your payment failed")


def test_an_ending_is_not_stripped_below_four_letters() -> None:
    # "asked" → "ask" would be an exact three-letter word that misses "asked" itself.
    assert query_terms("asked") == (QueryTerm("asked", prefix=True),)
    assert query_terms("refunded")[0] == QueryTerm("refund", prefix=True)  # then synonyms


def test_plurals_and_past_tenses_still_match_by_prefix() -> None:
    assert _found("refunds", "a refund to your card")
    assert _found("charged", "you will not be charged twice")


def test_full_width_letters_and_digits_become_half_width_lower_case() -> None:
    assert normalise("ＲＥＦＵＮＤ １２３") == "refund 123"
    assert _found("ＲＥＦＵＮＤ", "refund")


def test_traditional_characters_become_simplified() -> None:
    assert normalise("帳戶凍結") == "账户冻结"
    assert _found("帳戶凍結", "您的账户已冻结")


def test_thousands_separators_do_not_split_amounts() -> None:
    assert "1000" in index_tokens("¥1,000 per day")


def test_question_scaffolding_is_dropped_from_chinese_queries() -> None:
    tokens = [term.token for term in query_terms("忘记密码怎么办")]
    assert tokens[:3] == ["忘记", "记密", "密码"]
    assert "怎么" not in tokens
    assert "么办" not in tokens


def test_english_stop_words_are_dropped_but_a_query_of_only_them_keeps_them() -> None:
    assert [t.token for t in query_terms("how do I top up")][:2] == ["top", "up"]
    assert query_terms("how") == (QueryTerm("how"),)


def test_refund_synonyms_reach_across_languages() -> None:
    assert {"退款", "refund"} <= set(synonyms_of("退钱"))
    assert _found("退钱", "如何申请退款")
    assert _found("退钱", "How to request a refund")


def test_2fa_finds_the_chinese_words_for_two_factor_authentication() -> None:
    assert {"双重验证", "两步验证", "two factor"} <= set(synonyms_of("2FA"))
    assert _found("2FA", "怎么开启双重验证")
    assert _found("两步验证", "Turn on 2fa")


def test_a_synonym_phrase_must_appear_whole() -> None:
    assert "充值" in synonyms_of("how to top up")
    assert "充值" not in synonyms_of("top of the page")


def test_punctuation_alone_has_nothing_to_search() -> None:
    assert query_terms("？！…") == ()


def test_snippets_mark_matches_and_escape_the_rest() -> None:
    text = plain_text("## Refunds\n\nA <b>refund</b> to a **card** takes 1–5 business days.")
    snippet = make_snippet(text, query_terms("refund card"))
    assert "<mark>Refunds</mark>" in snippet
    assert "&lt;b&gt;<mark>refund</mark>&lt;/b&gt;" in snippet
    assert "<mark>card</mark>" in snippet


def test_chinese_snippets_highlight_the_whole_phrase_once() -> None:
    snippet = make_snippet("您可以直接在应用内对一笔付款申请退款。", query_terms("申请退款"))
    assert "<mark>申请退款</mark>" in snippet


def test_a_long_text_is_cut_around_the_matches_with_ellipses() -> None:
    text = "filler words here " * 30 + "the refund arrives in five days " + "more filler " * 30
    snippet = make_snippet(text, query_terms("refund"))
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>refund</mark>" in snippet


@given(st.text(max_size=200))
def test_snippet_positions_map_every_normalised_character_back_to_its_source(text: str) -> None:
    # The remembered per-character forms give what normalising each character gives,
    # expansions included (ﬁ -> fi, ㎏ -> kg), with each piece pointing at its source.
    normalised, origins = _normalised_with_origins(text)
    pieces = [normalise_character(c) for c in text]
    assert normalised == "".join(pieces)
    assert origins == [i for i, piece in enumerate(pieces) for _ in piece]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_text_is_normalised_as_each_of_its_characters_is(text: str) -> None:
    # ASCII text takes a shortcut (one translate call): it must agree with the long way.
    normalised, origins = _normalised_with_origins(text)
    assert normalised == "".join(normalise_character(c) for c in text)
    assert origins == list(range(len(text)))


def test_snippets_find_terms_behind_expanding_characters() -> None:
    text = "ﬁne print: ㎏ of ＲＥＦＵＮＤ"
    normalised, origins = _normalised_with_origins(text)
    assert normalised == "fine print: kg of refund"
    assert text[origins[normalised.index("refund")]] == "Ｒ"
