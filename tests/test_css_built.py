"""The committed stylesheet holds every class the pages name. Tailwind builds ``static/css/app.css`` from the templates
(``npm ci && npm run build:css``); a class added to a template without a rebuild silently does nothing (seen: the
arena's vote layout, a sidebar badge, the judge form's small radios were unstyled)."""
import re
from pathlib import Path

BASE = Path(__file__).resolve().parents[1]
CLASS_ATTR = re.compile(r'class(?:Name)?\s*=\s*"([^"]*)"')
UTILITY = re.compile(r"[a-z0-9:\-\[\]/.%_]+")


def _selector(token: str) -> str:
    return "." + re.sub(r"([:/.\[\]%#()=,>+~*!])", r"\\\1", token)


def test_every_class_in_the_templates_is_in_the_built_css():
    css = (BASE / "static/css/app.css").read_text()
    missing = {}
    for path in [*(BASE / "templates").rglob("*.html"), *(BASE / "static/js").glob("*.js")]:
        for attr in CLASS_ATTR.finditer(path.read_text()):
            for token in re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", attr.group(1)).split():
                if UTILITY.fullmatch(token) and _selector(token) not in css:
                    missing.setdefault(token, path.relative_to(BASE).as_posix())
    assert not missing, f"rebuild the CSS (npm ci && npm run build:css): {missing}"
