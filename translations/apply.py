"""Write translations into a catalogue: `python translations/apply.py LANGUAGE file.json`.

The JSON file maps English source strings to their translation. A plural entry takes a list of as
many forms as the language's catalogue says (`Plural-Forms`: French 2, Turkish 1, Arabic 6).
Entries missing from the catalogue are reported, so run `make i18n` first.

In a right-to-left language, the examples written in a string (a phone number, a code, a colour)
are isolated left to right as they are written in: between the spaces and dashes of "06 12 34 56
78", the bidi algorithm would otherwise reverse the order of the groups.
"""
import json
import re
import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
# A run of digits and capitals with the spaces, dashes, dots and colons between them: "06 12 34 56
# 78", "K7M-4QP", "2026-12-31", "#1d4e89", "+44"; placeholders are left alone.
WRITTEN_EXAMPLE = re.compile(r"(?<![\w%(])[#+]?[0-9A-Z][0-9A-Za-z]*(?:[ .:/-][0-9A-Za-z]+)+|#[0-9a-f]{6}")
LTR_ISOLATE, POP_ISOLATE = "\u2066", "\u2069"


def isolate_examples(text):
    return WRITTEN_EXAMPLE.sub(lambda found: f"{LTR_ISOLATE}{found.group(0)}{POP_ISOLATE}",
                               text.replace(LTR_ISOLATE, "").replace(POP_ISOLATE, ""))


def main(language, source):
    path = HERE / language / "LC_MESSAGES" / "messages.po"
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    right_to_left = Locale.parse(language).character_order == "right-to-left"
    with path.open("rb") as file:
        catalogue = read_po(file, locale=language)
    forms = catalogue.num_plurals
    missing, wrong = [], []
    for msgid, text in translations.items():
        message = catalogue.get(msgid)
        if message is None:
            message = next((m for m in catalogue if isinstance(m.id, tuple) and m.id[0] == msgid), None)
            if message is None:
                missing.append(msgid)
                continue
        if isinstance(message.id, tuple):
            if not isinstance(text, list) or len(text) != forms:
                wrong.append(msgid)
                continue
            text = tuple(isolate_examples(form) if right_to_left else form for form in text)
        elif not isinstance(text, str):
            wrong.append(msgid)
            continue
        elif right_to_left:
            text = isolate_examples(text)
        message.string = text
        message.flags.discard("fuzzy")
    with path.open("wb") as file:
        write_po(file, catalogue, width=0, sort_output=True, ignore_obsolete=True)
    untranslated = [m.id for m in catalogue if m.id and not (m.string if not isinstance(m.id, tuple) else all(m.string))]
    for msgid in missing:
        print(f"not in the catalogue: {msgid!r}")
    for msgid in wrong:
        print(f"needs a list of {forms} forms for a plural entry, a string otherwise: {msgid!r}")
    for msgid in untranslated:
        print(f"still untranslated: {msgid!r}")
    return 1 if untranslated or wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
