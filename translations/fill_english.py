"""Fill the English catalogue's empty entries with their source text.

The source strings are written in English, so an English entry left empty means "as written".
Filling it keeps the catalogue complete and lets a wording be changed for English readers alone.
"""
import sys

from babel.messages.pofile import read_po, write_po


def fill(path):
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            if not all(message.string):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
    print(f"{path}: {filled} entries filled with their English source")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        fill(name)
