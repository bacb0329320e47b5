"""What a page shows, read as a reader of its language would: the visible text, the parts marked as
another language, and whether each piece of text is isolated left to right."""
import re
from dataclasses import dataclass
from html.parser import HTMLParser

LTR_ISOLATE, FIRST_STRONG_ISOLATE, POP_ISOLATE = "\u2066", "\u2068", "\u2069"
INVISIBLE = {"script", "style", "title", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Piece:
    text: str
    language: str        # the nearest `lang` above it
    left_to_right: bool  # inside an element with dir="ltr" (or <bdi dir="ltr">)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, lang, ltr, hidden)
        self.pieces = []
        self.page_language = None

    def _top(self):
        return self.stack[-1] if self.stack else ("", "", False, False)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        _tag, lang, ltr, hidden = self._top()
        if tag == "html":
            self.page_language = attrs.get("lang")
        entry = (tag, attrs.get("lang", lang) or lang, ltr or attrs.get("dir") == "ltr",
                 hidden or tag in INVISIBLE or "hidden" in attrs or "visually-hidden" in (attrs.get("class") or ""))
        if tag not in VOID:
            self.stack.append(entry)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        _tag, lang, ltr, hidden = self._top()
        if data.strip() and not hidden:
            self.pieces.append(Piece(data, lang or self.page_language or "", ltr))


def read(html):
    reader = _Reader()
    reader.feed(html)
    return reader.page_language, reader.pieces


def visible_text(html, only_language=None):
    """The page's visible text; with `only_language`, without the parts marked as another one."""
    _language, pieces = read(html)
    return " ".join(piece.text for piece in pieces if only_language is None or piece.language == only_language)


# What must read left to right inside right-to-left text: times, booking codes, phone numbers,
# e-mail addresses.
LEFT_TO_RIGHT = re.compile(
    r"\b\d{1,2}:\d{2}\b"
    r"|\b[A-Z0-9]{3}-[A-Z0-9]{3}\b"
    r"|\+?\d{2}(?:[ .]\d{2}){3,}"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"
)


def unisolated(html):
    """Times, codes, phone numbers and addresses in the page's text that are not isolated left to
    right, neither by their element nor by the Unicode isolates around them."""
    _language, pieces = read(html)
    found = []
    for piece in pieces:
        if piece.left_to_right:
            continue
        for match in LEFT_TO_RIGHT.finditer(piece.text):
            before = piece.text[:match.start()]
            if before.count(LTR_ISOLATE) > before.count(POP_ISOLATE):
                continue
            found.append(match.group(0))
    return found
