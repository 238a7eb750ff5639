"""Every string the code and templates mark for translation has a Simplified Chinese translation."""
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from config import BASE_DIR


def test_every_marked_string_is_translated_to_chinese():
    with open(BASE_DIR / "babel.cfg") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    marked = {message if isinstance(message, str) else message[0]
              for _file, _line, message, _comments, _context in extract_from_dir(
                  BASE_DIR, method_map, options_map, keywords=keywords)}
    with open(BASE_DIR / "app/translations/zh/LC_MESSAGES/messages.po", "rb") as fileobj:
        catalog = read_po(fileobj)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and (m.string[0] if isinstance(m.string, tuple) else m.string)
                  and not m.fuzzy}
    missing = sorted(marked - translated - {""})
    assert not missing, f"untranslated (run pybabel extract/update, translate, compile): {missing[:20]}"
