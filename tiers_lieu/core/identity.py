"""What makes the centre's public identity valid: its SIRET or RNA number, its commune and postal
code, its coordinates, its short presentation and its links.

Plain functions, no database: the set-up form checks what coordinators type with them, and the
published open-data files leave out any field they refuse (a national file is never invalid). The
messages are here too, so that the form and the open-data page say the same thing.
"""
import enum
import math
import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from .communes import OfficialCommune, find_communes, is_postal_code, name_key, official_commune

SUMMARY_MAX = 280  # MedNum `presentation_resume`
SIRET = re.compile(r"\d{14}")
# The RNA (répertoire national des associations) number: W, then the 3-character code of the
# prefecture that registered it (digits, 2A/2B in Corsica, letters for some overseas ones), then 6
# digits. Like the SIRET it fits MedNum's `pivot` pattern ^[a-zA-Z0-9]{9,14}$.
RNA = re.compile(r"W[0-9][0-9A-Z][0-9]{7}")
# La Poste registered all its post offices under one SIREN: they are too many for the 10**5 NICs
# the Luhn key leaves, so INSEE checks them by "the sum of the digits is a multiple of 5" instead
# (the head office, 356 000 000 00048, passes Luhn as well).
LA_POSTE_SIREN = "356000000"
ACCESLIBRE_HOST = "acceslibre.beta.gouv.fr"


def compact(value):
    """The number as typed, without the spaces, dots and dashes people write in it, in capitals."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def luhn_is_valid(digits):
    """Whether a string of digits passes the Luhn checksum (SIREN and SIRET keys)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def siret_is_valid(value):
    """Whether this is a well-formed SIRET: 14 digits and its check key (spaces allowed)."""
    siret = compact(value)
    if not SIRET.fullmatch(siret):
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(char) for char in siret) % 5 == 0 or luhn_is_valid(siret)
    return luhn_is_valid(siret)


def rna_is_valid(value):
    """Whether this is a well-formed RNA number: W and 9 characters (W262001234)."""
    return bool(RNA.fullmatch(compact(value)))


def siret_or_rna_is_valid(value):
    return siret_is_valid(value) or rna_is_valid(value)


# --- where France is ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle, in degrees (WGS 84, as OpenStreetMap and the MedNum file)."""

    name: object  # a lazy translated name
    south: float
    north: float
    west: float
    east: float

    def holds(self, latitude, longitude):
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


# Rectangles around each part of France, with a small margin for the coasts. They are a check
# against typing mistakes (a swapped latitude and longitude, a sign lost, a point in the sea off
# Africa), not a border: metropolitan France's box also holds bits of its neighbours.
FRANCE = (
    # Mainland and Corsica: Ouessant at 5.15° W, Bonifacio at 41.33° N, Bray-Dunes at 51.09° N,
    # Lauterbourg at 8.23° E, Cap Corse's east coast at 9.56° E.
    Box(_l("metropolitan France"), 41.3, 51.15, -5.25, 9.6),
    Box(_l("Guadeloupe"), 15.8, 16.55, -61.85, -60.95),
    Box(_l("Martinique"), 14.35, 14.9, -61.25, -60.8),
    Box(_l("French Guiana"), 2.1, 5.8, -54.65, -51.6),
    Box(_l("Réunion"), -21.4, -20.85, 55.2, 55.85),
    Box(_l("Mayotte"), -13.05, -12.6, 44.95, 45.35),
    Box(_l("Saint-Pierre-et-Miquelon"), 46.7, 47.15, -56.45, -56.1),
    Box(_l("Saint-Barthélemy"), 17.85, 17.98, -62.95, -62.78),
    Box(_l("Saint-Martin"), 18.04, 18.13, -63.16, -62.96),
    Box(_l("Wallis-et-Futuna"), -14.4, -13.15, -178.2, -176.1),
    Box(_l("French Polynesia"), -27.7, -7.8, -154.8, -134.4),
    Box(_l("New Caledonia"), -23.0, -19.0, 163.5, 169.0),
)
METROPOLITAN_FRANCE = FRANCE[0]


def in_france(latitude, longitude):
    """Whether the point lies in metropolitan France or in one of the overseas departments and
    collectivities (within the rectangles above)."""
    if latitude is None or longitude is None:
        return False
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    return any(box.holds(latitude, longitude) for box in FRANCE)


def openstreetmap_url(latitude, longitude, zoom=18):
    """The address of openstreetmap.org showing this point, with a marker."""
    return (f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
            f"#map={zoom}/{latitude:.6f}/{longitude:.6f}")


# --- links ---------------------------------------------------------------------------------------

def is_https_url(value):
    """Whether this is an absolute https:// address with a host name."""
    value = (value or "").strip()
    if not value or any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "." in parts.hostname


def acceslibre_url_is_valid(value):
    """Whether this is the address of a record on acceslibre (https://acceslibre.beta.gouv.fr/…)."""
    return is_https_url(value) and urlsplit(value.strip()).hostname == ACCESLIBRE_HOST


# --- the commune -------------------------------------------------------------------------------

class CommuneProblem(enum.Enum):
    INCOMPLETE = "incomplete"
    UNKNOWN_POSTAL_CODE = "unknown_postal_code"
    UNKNOWN_COMMUNE = "unknown_commune"
    WRONG_POSTAL_CODE = "wrong_postal_code"
    UNKNOWN_INSEE_CODE = "unknown_insee_code"
    INSEE_MISMATCH = "insee_mismatch"
    AMBIGUOUS = "ambiguous"

    @property
    def message(self):
        return COMMUNE_MESSAGES[self]


COMMUNE_MESSAGES = {
    CommuneProblem.INCOMPLETE: _l("Give the postal code and the commune together."),
    CommuneProblem.UNKNOWN_POSTAL_CODE: _l("This postal code is not in La Poste's list. Write its 5 digits, "
                                           "for example 26000."),
    CommuneProblem.UNKNOWN_COMMUNE: _l("No commune of this name has this postal code. Check the spelling "
                                       "of the commune."),
    CommuneProblem.WRONG_POSTAL_CODE: _l("This postal code is not the commune's. Check the postal code."),
    CommuneProblem.UNKNOWN_INSEE_CODE: _l("This INSEE code is not in the official list of communes."),
    CommuneProblem.INSEE_MISMATCH: _l("This INSEE code is not the code of this commune with this postal "
                                      "code. Leave it empty to have it filled in."),
    CommuneProblem.AMBIGUOUS: _l("Several communes have this name and postal code: give the INSEE code too."),
}


@dataclass(frozen=True)
class CommuneCheck:
    """What the postal code, commune and INSEE code typed come to: the official commune they name
    (None when nothing was given or they do not agree), or the problem and the field it is on."""

    commune: Optional[OfficialCommune] = None
    problem: Optional[CommuneProblem] = None
    field: str = ""

    @property
    def ok(self):
        return self.problem is None


def check_commune(postal_code, commune, insee_code=""):
    """Check the postal code, commune name and INSEE code against the official list.

    Typing the postal code and the name is enough: the INSEE code is found when exactly one
    commune of that name has that postal code. An INSEE code typed must be that commune's. Nothing
    given at all is fine (the identity is simply incomplete).
    """
    postal_code, commune, insee_code = (postal_code or "").strip(), (commune or "").strip(), \
        (insee_code or "").strip().upper()
    if not (postal_code or commune or insee_code):
        return CommuneCheck()
    if not postal_code:
        return CommuneCheck(problem=CommuneProblem.INCOMPLETE, field="postal_code")
    if not is_postal_code(postal_code):
        return CommuneCheck(problem=CommuneProblem.UNKNOWN_POSTAL_CODE, field="postal_code")
    if insee_code:
        official = official_commune(insee_code)
        if official is None:
            return CommuneCheck(problem=CommuneProblem.UNKNOWN_INSEE_CODE, field="insee_code")
        if postal_code not in official.postal_codes or (commune and name_key(commune) != name_key(official.name)):
            return CommuneCheck(problem=CommuneProblem.INSEE_MISMATCH, field="insee_code")
        return CommuneCheck(official)
    if not commune:
        return CommuneCheck(problem=CommuneProblem.INCOMPLETE, field="commune")
    found = find_communes(commune, postal_code)
    if len(found) == 1:
        return CommuneCheck(found[0])
    if len(found) > 1:
        return CommuneCheck(problem=CommuneProblem.AMBIGUOUS, field="insee_code")
    if find_communes(commune):
        return CommuneCheck(problem=CommuneProblem.WRONG_POSTAL_CODE, field="postal_code")
    return CommuneCheck(problem=CommuneProblem.UNKNOWN_COMMUNE, field="commune")


# --- the whole identity ------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A field of the identity that cannot be published as it is, and why (a lazy message)."""

    field: str
    message: object


SIRET_MESSAGE = _l("This is neither a SIRET (14 digits whose check key is right) nor an RNA number "
                   "(W and 9 characters). Copy it from the centre's official papers.")
COORDINATES_MESSAGE = _l("This point is not in France. Check the latitude and the longitude (for "
                         "Valence: 44.93 and 4.89).")
COORDINATES_PAIR_MESSAGE = _l("Give both the latitude and the longitude, or neither.")
SUMMARY_MESSAGE = _l("The short presentation must be at most 280 characters long.")
HTTPS_MESSAGE = _l("Give a full address starting with https://.")
ACCESLIBRE_MESSAGE = _l("Give the address of the centre's record on acceslibre, starting with "
                        "https://acceslibre.beta.gouv.fr/.")
FORMULA_MESSAGE = _l("Start this text with a letter or a digit: a spreadsheet opening the published "
                     "file would run a text starting with =, +, - or @ as a formula.")
# The texts the open-data CSV carries as typed. OWASP's "CSV injection": a cell starting with one of
# these is a formula to Excel, LibreOffice and Google Sheets (stats/exports.py neutralises them with
# a quote; a standard's file cannot be altered so, so such a text is refused, or left out).
FREE_TEXTS = ("name", "address", "commune", "summary", "presentation")
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\t\r\n")


def looks_like_formula(text):
    """Whether a spreadsheet could take this text for a formula (leading spaces looked past)."""
    text = text or ""
    return text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS


def identity_problems(details):
    """What in the centre's identity (a Centre row or CentreDetails) cannot be published, field by
    field. Empty fields are not problems here: they are only missing."""
    problems = [Problem(name, FORMULA_MESSAGE) for name in FREE_TEXTS if looks_like_formula(getattr(details, name))]
    if details.siret_or_rna and not siret_or_rna_is_valid(details.siret_or_rna):
        problems.append(Problem("siret_or_rna", SIRET_MESSAGE))
    check = check_commune(details.postal_code, details.commune, details.insee_code)
    if not check.ok:
        problems.append(Problem(check.field, check.problem.message))
    if (details.latitude is None) != (details.longitude is None):
        problems.append(Problem("latitude", COORDINATES_PAIR_MESSAGE))
    elif details.latitude is not None and not in_france(details.latitude, details.longitude):
        problems.append(Problem("latitude", COORDINATES_MESSAGE))
    if len(details.summary or "") > SUMMARY_MAX:
        problems.append(Problem("summary", SUMMARY_MESSAGE))
    if details.website and not is_https_url(details.website):
        problems.append(Problem("website", HTTPS_MESSAGE))
    if details.acceslibre_url and not acceslibre_url_is_valid(details.acceslibre_url):
        problems.append(Problem("acceslibre_url", ACCESLIBRE_MESSAGE))
    return problems
