"""France's communes as INSEE and La Poste list them: to check a commune, its postal code and its
INSEE code against each other where coordinators and facilitators type them.

The national files ask for a commune's INSEE code, which nobody knows by heart, while everybody
knows its name and postal code: from those two the code is looked up here. The list is open data
(data/communes.csv, written by data/build_communes.py; its source and licence are in the README),
read once per process and kept in memory: some 35,000 rows, about 5 MB.
"""
import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "communes.csv"
POSTAL_CODE = re.compile(r"\d{5}")
INSEE_CODE = re.compile(r"\d[\dAB]\d{3}")  # Corsica's departments are 2A and 2B


@dataclass(frozen=True)
class OfficialCommune:
    insee_code: str
    name: str
    postal_codes: tuple[str, ...]
    department: str


def name_key(name):
    """'Saint-Marcel-lès-Valence' and 'st marcel les valence' alike: lower case, no accents, no
    punctuation, and the "Saint" abbreviations people write."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.findall(r"[a-z0-9]+", plain.replace("œ", "oe").replace("æ", "ae"))
    return " ".join({"st": "saint", "ste": "sainte"}.get(word, word) for word in words)


@dataclass(frozen=True)
class _Index:
    by_insee: dict
    by_postal_code: dict
    by_name: dict


@cache
def _index():
    by_insee, by_postal_code, by_name = {}, defaultdict(list), defaultdict(list)
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            commune = OfficialCommune(row["insee_code"], row["name"], tuple(row["postal_codes"].split()),
                                      row["department"])
            by_insee[commune.insee_code] = commune
            for postal_code in commune.postal_codes:
                by_postal_code[postal_code].append(commune)
            by_name[name_key(commune.name)].append(commune)
    return _Index(by_insee, dict(by_postal_code), dict(by_name))


def official_commune(insee_code):
    """The commune of this INSEE code, or None."""
    return _index().by_insee.get((insee_code or "").strip().upper())


def communes_of_postal_code(postal_code):
    """The communes this postal code serves (one, or several sharing a post office)."""
    return list(_index().by_postal_code.get((postal_code or "").strip(), ()))


def is_postal_code(postal_code):
    """Five digits that La Poste gives to at least one commune."""
    postal_code = (postal_code or "").strip()
    return bool(POSTAL_CODE.fullmatch(postal_code)) and postal_code in _index().by_postal_code


def postal_code_matches(postal_code, insee_code):
    """Whether this postal code is one of the commune's."""
    commune = official_commune(insee_code)
    return commune is not None and (postal_code or "").strip() in commune.postal_codes


def find_communes(name, postal_code=None):
    """The communes named so (accents, case, hyphens and "St" aside), of this postal code if given."""
    found = _index().by_name.get(name_key(name or ""), [])
    if postal_code:
        found = [commune for commune in found if postal_code.strip() in commune.postal_codes]
    return list(found)
