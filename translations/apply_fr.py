"""Write French translations into the French catalogue: `python translations/apply_fr.py file.json`.

The JSON file maps English source strings to French. Plural entries take a list of two forms.
Entries missing from the catalogue are reported, so run `make i18n` first.
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parent / "fr" / "LC_MESSAGES" / "messages.po"


def main(source):
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file, locale="fr")
    missing = []
    for msgid, french in translations.items():
        message = catalogue.get(msgid)
        if message is None:
            plural = next((m for m in catalogue if isinstance(m.id, tuple) and m.id[0] == msgid), None)
            if plural is None:
                missing.append(msgid)
                continue
            message = plural
        message.string = tuple(french) if isinstance(message.id, tuple) else french
        message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as file:
        write_po(file, catalogue, width=0, sort_output=True, ignore_obsolete=True)
    untranslated = [m.id for m in catalogue if m.id and not (m.string if not isinstance(m.id, tuple) else all(m.string))]
    for msgid in missing:
        print(f"not in the catalogue: {msgid!r}")
    for msgid in untranslated:
        print(f"still untranslated: {msgid!r}")
    return 1 if untranslated else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
