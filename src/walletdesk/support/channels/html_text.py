"""The words a person reads in an HTML email, as plain text for a ticket message.

HTML-only mail (Outlook, most webmail) carries a ``<head>`` with a ``<title>`` and a
style sheet, sometimes scripts, and comments full of Office XML. None of that is
shown to the reader, so none of it belongs in the ticket: only the text of the
body, with blocks and ``<br>`` as line breaks and other whitespace collapsed as a
browser would.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never displayed. ``head`` is skipped whole (title, meta,
# style); a message that omits </head> ends it with <body>, as browsers do.
_HIDDEN = frozenset({"head", "title", "style", "script", "template", "noscript", "xml"})
# Elements that begin a new line where they start and end.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: dict[str, int] = {}
        self._pre = 0

    def _hiding(self) -> bool:
        return any(self._hidden.values())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._hidden.pop("head", None)
        if tag in _HIDDEN:
            self._hidden[tag] = self._hidden.get(tag, 0) + 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n")
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and <p/>: a line break, never the start of a hidden element.
        if tag == "br" or tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            if self._hidden.get(tag):
                self._hidden[tag] -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._hiding():
            return
        self.parts.append(data if self._pre else _SPACES.sub(" ", data))


def html_to_text(markup: str) -> str:
    """The displayed text of ``markup``: no head, title, style, script or comments; one
    line per block or ``<br>``; at most one blank line in a row; ends stripped."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    lines = (line.strip() for line in "".join(collector.parts).split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
