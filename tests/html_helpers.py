"""Reading pages as a browser would: what a form submits as it is shown."""
from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """Collects ``(name, value)`` pairs a browser would submit from the form with id ``form_id``."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.pairs = form_id, False, []
        self._select = self._option = self._textarea = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "selected" in a, ""]
            self._options.append(self._option)
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            options = [(v if v is not None else text, sel) for v, sel, text in self._options]
            chosen = [v for v, sel in options if sel] or [v for v, _sel in options[:1]]
            self.pairs.extend((self._select, v) for v in chosen[:1])
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.pairs.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_values(html: str, form_id: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs the form ``form_id`` on ``html`` submits as shown (first option when none is
    selected, checked boxes only), in document order."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.pairs
