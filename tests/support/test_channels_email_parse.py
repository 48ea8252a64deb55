"""Reading inbound email (support/channels/email_in.py): what the customer wrote, in the
characters they wrote it in, whatever the mail program did to it on the way."""

from __future__ import annotations

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
