"""Reading inbound email (support/channels/email_in.py): what the customer wrote, in the
characters they wrote it in, whatever the mail program did to it on the way."""

from __future__ import annotations

import base64

import pytest

from walletdesk.support.channels.charsets import decode_bytes
from walletdesk.support.channels.email_in import parse


def raw_mail(
    subject_header: str,
    body: bytes = b"hi",
    *,
    content_type: str = "text/plain",
    charset: str = "utf-8",
) -> bytes:
    return (
        "From: Li Lei <li.lei@example.com>\r\n"
        f"Subject: {subject_header}\r\n"
        "Message-ID: <x@mail.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: {content_type}; charset="{charset}"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + body


def encoded_word(text: str, label: str, codec: str) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec)).decode()}?="


# -- subjects: RFC 2047 words read with the label's widest superset -----------------------


@pytest.mark.parametrize(
    ("label", "codec", "subject"),
    [
        ("gb2312", "gbk", "朱镕基路的店退款"),  # 镕 is GBK only: GB2312-labelled mail holds it
        ("GB2312", "gb18030", "退款𠀀查询"),  # a GB18030 four-byte character
        ("big5", "big5hkscs", "請問𡃁仔"),  # 𡃁: HKSCS, common in Hong Kong Cantonese
        ("utf-8", "utf-8", "付款失败了"),
    ],
)
def test_an_encoded_word_subject_is_read_with_the_labels_superset(
    label: str, codec: str, subject: str
) -> None:
    assert parse(raw_mail(encoded_word(subject, label, codec))).subject == subject


def test_a_subject_of_several_words_folded_over_lines_is_joined() -> None:
    folded = (
        "Re: "
        + encoded_word("朱镕基路", "gb2312", "gbk")
        + "\r\n "
        + encoded_word("的店退款", "utf-8", "utf-8")
        + " WD-000001"
    )
    assert parse(raw_mail(folded)).subject == "Re: 朱镕基路的店退款 WD-000001"


def test_a_subject_sent_as_raw_8_bit_utf_8_is_read() -> None:
    raw = raw_mail("SUBJECT").replace(b"SUBJECT", "退款没到账".encode())
    assert parse(raw).subject == "退款没到账"


def test_a_subject_in_an_unknown_charset_keeps_the_sender_and_the_text() -> None:
    mail = parse(raw_mail(encoded_word("退款", "x-no-such-charset", "utf-8")))
    assert mail.subject == "退款"
    assert mail.sender == "li.lei@example.com"


# -- ISO-2022-JP: 7-bit, so never "decoded" as UTF-8 with its escape codes ---------------


def test_iso_2022_jp_with_a_nec_circled_digit_is_read_as_windows_writes_it() -> None:
    # What Outlook/Windows (CP50220) sends for "返金①について": JIS X 0208 plus the NEC
    # row-13 character ① (0x2D21) under ESC $ B, which no standard codec reads.
    body = b"\x1b$BJV6b-!$K$D$$$F\x1b(B"
    assert parse(raw_mail("refund", body, charset="iso-2022-jp")).body == "返金①について"


def test_iso_2022_jp_with_half_width_katakana_is_read() -> None:
    body = "返金".encode("iso2022_jp") + b"\x1b(I6]\x1b(B"  # ｶﾝ in JIS X 0201 (CP50221)
    assert parse(raw_mail("refund", body, charset="iso-2022-jp")).body == "返金ｶﾝ"


def test_iso_2022_jp_that_no_variant_reads_is_replaced_not_kept_as_escape_codes() -> None:
    body = "返金".encode("iso2022_jp") + b"\x1b$(Z!!\x1b(B"  # an escape no variant knows
    text = parse(raw_mail("refund", body, charset="iso-2022-jp")).body
    assert "\x1b" not in text
    assert text.startswith("返金")
    assert "\ufffd" in text


@pytest.mark.parametrize("charset", ["iso-2022-jp", "ISO-2022-JP-2", "iso-2022-kr"])
def test_seven_bit_text_is_never_guessed_as_utf_8(charset: str) -> None:
    text = decode_bytes(b"abc\x1b$(Z!!\x1b(Bdef", charset)
    assert "\x1b" not in text
    assert text.startswith("abc")


def test_an_eight_bit_label_that_lies_still_falls_back_to_utf_8() -> None:
    assert decode_bytes("退款".encode(), "iso-8859-8-i-no-such") == "退款"
    assert decode_bytes("退款".encode(), "shift_jis") == "退款"


# -- HTML-only mail: the words a reader sees, nothing of the head, styles or scripts -------


def html_body(markup: str) -> str:
    return parse(raw_mail("refund", markup.encode(), content_type="text/html")).body


def test_html_only_mail_keeps_no_title_style_or_script() -> None:
    markup = (
        "<html><head><title>Message</title><style>p.MsoNormal {margin:0cm; font-size:11.0pt;}"
        "</style><script>var tracking = 1;</script></head><body>"
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]-->"
        "<p class=MsoNormal>My refund is missing</p></body></html>"
    )
    assert html_body(markup) == "My refund is missing"


def test_html_blocks_and_breaks_become_lines_and_entities_are_read() -> None:
    markup = (
        "<div>您好，</div><p>订单&nbsp;42   的退款\n  还没到账<br>谢谢 &amp; 再见</p>"
        "<p>&nbsp;</p><p></p><ul><li>一</li><li>二</li></ul>"
    )
    assert html_body(markup) == "您好，\n\n订单 42 的退款 还没到账\n谢谢 & 再见\n\n一\n\n二"


def test_html_without_a_closing_head_shows_the_body() -> None:
    assert html_body("<head><title>t</title><body><p>在吗</p></body>") == "在吗"


def test_the_sender_is_read_past_an_encoded_display_name() -> None:
    raw = raw_mail("refund").replace(
        b"From: Li Lei <li.lei@example.com>",
        f"From: {encoded_word('李, 雷', 'gb2312', 'gbk')} <li.lei@example.com>".encode(),
    )
    assert parse(raw).sender == "li.lei@example.com"
