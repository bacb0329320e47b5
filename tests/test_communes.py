"""The official communes: the list the centre's address and the sessions' communes are checked against."""
import csv

from tiers_lieu.core import communes
from tiers_lieu.core.communes import (communes_of_postal_code, find_communes, is_postal_code, name_key,
                                      official_commune, postal_code_matches)


def test_valence_and_its_neighbours_are_found_by_name_and_postal_code():
    assert [c.insee_code for c in find_communes("Valence", "26000")] == ["26362"]
    assert [c.insee_code for c in find_communes("Guilherand-Granges", "07500")] == ["07102"]
    # Three communes of France are called Valence: the postal code tells them apart.
    assert {c.department for c in find_communes("valence")} >= {"16", "26", "82"}


def test_names_match_whatever_the_accents_case_hyphens_and_saint_abbreviations():
    assert name_key("Saint-Marcel-lès-Valence") == name_key("st marcel les VALENCE") == "saint marcel les valence"
    assert [c.insee_code for c in find_communes("etoile sur rhone")] == ["26124"]
    assert find_communes("Valence", "26500") == []  # Valence's name, Bourg-lès-Valence's postal code
    assert find_communes("") == [] and find_communes(None) == []


def test_a_postal_code_shared_by_several_communes_lists_them_all():
    shared = {c.name for c in communes_of_postal_code("26800")}
    assert {"Portes-lès-Valence", "Étoile-sur-Rhône"} <= shared
    assert postal_code_matches("26800", "26252") and not postal_code_matches("26000", "26252")


def test_codes_are_checked_for_shape_and_existence():
    assert is_postal_code("26000") and is_postal_code(" 07500 ")
    for wrong in ("99999", "2600", "260000", "26 00", "abcde", "", None):
        assert not is_postal_code(wrong)
    assert official_commune("2A004").name == "Ajaccio"  # Corsica's codes hold a letter
    assert official_commune("2a004").name == "Ajaccio"
    assert official_commune("00000") is None and official_commune(None) is None


def test_paris_lyon_and_marseille_have_the_commune_and_its_arrondissements():
    assert official_commune("69123").name == "Lyon" and "69003" in official_commune("69123").postal_codes
    assert official_commune("69383").postal_codes == ("69003",)
    assert official_commune("75056").name == "Paris"


def test_the_shipped_file_keeps_only_what_the_app_reads():
    with communes.DATA.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["insee_code", "name", "postal_codes", "department"]
        rows = list(reader)
    assert 34_000 < len(rows) < 36_000
    assert len({row[0] for row in rows}) == len(rows)
    assert all(communes.INSEE_CODE.fullmatch(row[0]) for row in rows)
