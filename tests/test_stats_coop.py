"""The export in La Coop de la médiation numérique's vocabulary (stats/coop.py): every value maps
both ways, a session logged through the real form comes out with the Coop's codes in the Coop's
columns, the XLSX reads back, typed text never becomes a formula, and the access rules hold."""
import csv
import io
import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from tiers_lieu.accounts.models import Role
from tiers_lieu.booking.models import BookingStatus
from tiers_lieu.core.centre import Centre
from tiers_lieu.desk.lists import ensure_default_lists
from tiers_lieu.desk.models import (AdminDomain, AgeBracket, Attendee, Autonomy, Channel, Commune, Equipment, Gender,
                                    HelpSession, NationalTheme, ReferralKind, ReferralTarget, Resident, SessionKind,
                                    Situation, WorkshopLevel)
from tiers_lieu.extensions import db
from tiers_lieu.stats import coop

from .conftest import log_in
from .factories import PARIS, make_slots, make_topic

# La Coop's enums, copied by hand from apps/web/prisma/schema.prisma of
# inclusion-numerique/coop-mediation-numerique at commit 46aa33bdf21c42c2d5bbb2913f5c453cca5a9542
# (their @map values, in the schema's order).
COOP_ENUMS = {
    "TypeActivite": ["individuel", "collectif"],
    "TypeLieu": ["lieu_activite", "domicile", "a_distance", "autre"],
    "Materiel": ["ordinateur", "telephone", "tablette", "autre", "aucun"],
    "Thematique": [
        "diagnostic_numerique", "prendre_en_main_du_materiel", "maintenance_de_materiel",
        "gere_ses_contenus_numeriques", "navigation_sur_internet", "email", "bureautique", "reseaux_sociaux",
        "sante", "banque_et_achats_en_ligne", "entrepreneuriat", "insertion_professionnelle",
        "securite_numerique", "parentalite", "scolarite_et_numerique", "creer_avec_le_numerique",
        "culture_numerique", "intelligence_artificielle", "aide_aux_demarches_administratives",
        "papiers_elections_citoyennete", "famille_scolarite", "social_sante", "travail_formation", "logement",
        "transports_mobilite", "argent_impots", "justice", "etrangers_europe", "loisirs_sports_culture",
        "associations"],
    "Autonomie": ["entierement_accompagne", "partiellement_autonome", "autonome"],
    "StructureDeRedirection": [
        "administration", "mediation_numerique", "operateur_ou_organisme_en_charge", "aide_sociale",
        "insertion_professionnelle", "aide_aux_demarches_administratives", "autre"],
    "NiveauAtelier": ["debutant", "intermediaire", "avance"],
    "Genre": ["masculin", "feminin", "non_communique"],
    "TrancheAge": [
        "moins_de_douze", "douze_dix_huit", "dix_huit_vingt_quatre", "vingt_cinq_trente_neuf",
        "quarante_cinquante_neuf", "soixante_soixante_neuf", "soixante_dix_plus", "non_communique"],
    "StatutSocial": ["scolarise", "sans_emploi", "en_emploi", "retraite", "non_communique"],
}
OUR_LISTS = {"kind": SessionKind, "channel": Channel, "equipment": Equipment, "theme": NationalTheme,
             "admin_domain": AdminDomain, "autonomy": Autonomy, "referral_kind": ReferralKind,
             "workshop_level": WorkshopLevel, "gender": Gender, "age_bracket": AgeBracket, "situation": Situation}
# The Coop's worksheet's columns (buildAccompagnementsWorksheet.ts, same commit), without the V1 one.
SELF_HEADERS = [
    "Date", "Enregistré le", "Dernière modification le", "Type", "Participants", "Bénéficiaire",
    "Canaux d’accompagnement", "Nom du lieu", "Adresse", "Commune", "Code postal", "Code Insee", "Durée (min)",
    "Nom de l’atelier", "Matériel numérique utilisé", "Thématique(s) d’accompagnement", "Tags",
    "Nom de la démarche administrative", "Niveau d’autonomie (ou de l’atelier)", "Bénéficiaire réorienté",
    "Structure de redirection", "Commune du bénéficiaire", "Code postal du bénéficiaire",
    "Code Insee du bénéficiaire", "Genre du bénéficiaire", "Tranche d’âge du bénéficiaire",
    "Statut du bénéficiaire", "Notes supplémentaires", "ID CRA"]
TEAM_HEADERS = [*SELF_HEADERS[:3], "Prénom du médiateur", "Nom du médiateur", "Rôle", "ID - Conum",
                *[h for h in SELF_HEADERS[3:] if h not in ("Bénéficiaire", "Notes supplémentaires")]]
HYPERLINK = '=HYPERLINK("http://evil.example","x")'


# -- the mapping tables ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OUR_LISTS))
def test_every_value_of_ours_maps_to_a_coop_value_and_back(name):
    mapping, ours = coop.MAPPINGS[name], OUR_LISTS[name]
    assert set(mapping.to_coop) == {member.value for member in ours}
    for member in ours:
        code = mapping.coop(member.value)
        assert code in COOP_ENUMS[mapping.coop_enum], (member, code)
        back = mapping.ours(code)
        # Two of ours may meet in one of theirs: the first in our order is the one read back.
        assert back == member.value or (member, back) == (SessionKind.QUICK, "individual"), (member, back)
        assert mapping.coop(back) == code


@pytest.mark.parametrize("coop_enum", sorted(COOP_ENUMS))
def test_every_coop_value_is_covered_and_maps_back(coop_enum):
    mappings = [mapping for mapping in coop.MAPPINGS.values() if mapping.coop_enum == coop_enum]
    assert mappings, coop_enum
    for code in COOP_ENUMS[coop_enum]:
        readings = [(mapping, mapping.ours(code)) for mapping in mappings if mapping.ours(code) is not None]
        # The national themes and the administrative domains share the Coop's Thematique.
        assert len(readings) == 1, (coop_enum, code)
        mapping, ours = readings[0]
        assert mapping.coop(ours) == code
    assert coop.THEME.coop_codes + coop.ADMIN_DOMAIN.coop_codes == COOP_ENUMS["Thematique"]  # the same order


def test_unknown_codes_map_to_nothing():
    assert coop.GENDER.coop(None) == "" and coop.GENDER.coop("under_18") == ""
    assert coop.AGE.coop("under_18") == ""  # the bracket 0015 split in two
    assert coop.KIND.ours("evenement") is None


def test_durations_follow_the_coop_presets():
    for minutes in (15, 30, 45, 60, 90, 120):
        assert coop.duration(minutes) == str(minutes) and coop.minutes_of(str(minutes)) == minutes
    assert coop.duration(40) == "personnaliser"
    assert coop.minutes_of("personnaliser", hours=2, minutes=40) == 160


def test_themes_keep_the_coop_order_and_an_administrative_domain_implies_its_theme():
    assert coop.themes(["email", "digital_diagnosis"], None) == ["diagnostic_numerique", "email"]
    assert coop.themes(["email"], "associations") == ["email", "aide_aux_demarches_administratives", "associations"]
    assert coop.themes(["admin_procedures"], "money") == ["aide_aux_demarches_administratives", "argent_impots"]
    assert coop.themes([], None) == []


def test_names_and_communes_as_the_coop_stores_them():
    assert coop.split_name("Awa Diop Ndiaye") == ("Awa", "Diop Ndiaye") and coop.split_name("Kossi") == ("Kossi", "")
    assert coop.beneficiary_commune(None, "26500") == ("Bourg-lès-Valence", "26500", "26058")
    assert coop.beneficiary_commune(None, "26120") == ("", "26120", "")  # twelve communes share it
    assert coop.beneficiary_commune(None, None) == ("", "", "")


# -- the export of real sessions ---------------------------------------------------------------------

class FormReader(HTMLParser):
    """What a browser sends for a page's form: its fields' names and values as they stand."""

    def __init__(self, form_action):
        super().__init__()
        self.action, self.inside, self.fields, self.select, self.textarea = form_action, False, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("action") or "").split("?")[0] == self.action and attrs.get("method") == "post"
        if not self.inside:
            return
        if tag == "input" and attrs.get("name") and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select" and attrs.get("name"):
            self.select = [attrs["name"], None, None]  # name, first option, selected option
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in attrs:
                self.select[2] = value
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            name, first, chosen = self.select
            self.fields.append((name, chosen if chosen is not None else first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append(tuple(self.textarea))
            self.textarea = None


def form_fields(page, action):
    reader = FormReader(action)
    reader.feed(page)
    return reader.fields


def csv_rows(response):
    assert response.status_code == 200, response.page[:500]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=";"))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture
def valence(app):
    communes = [Commune(name="Valence", postal_code="26000", insee_code="26362", position=1),
                Commune(name="Bourg-lès-Valence", postal_code="26500", insee_code="26058", position=2)]
    db.session.add_all(communes)
    centre = db.session.execute(db.select(Centre)).scalar_one_or_none() or Centre(name="Maison Pour Tous")
    centre.name, centre.address = "Maison Pour Tous", "5 place du Pot d'Or"
    centre.commune, centre.postal_code, centre.insee_code = "Valence", "26000", "26362"
    db.session.add(centre)
    db.session.commit()
    return communes


def period(day):
    return {"period": "custom", "start": (day - timedelta(days=1)).isoformat(), "end": day.isoformat()}


def test_a_session_logged_through_the_form_is_exported_with_the_coop_codes(client, login_as, make_booking, valence):
    """The issue's "done when": a facilitator logs a session whose national themes are pre-ticked
    from its topic, and the Coop-vocabulary export of that session carries the right codes."""
    ensure_default_lists(db.session)
    topic = make_topic(slug="demarches", name_fr="Démarches administratives")
    topic.national_themes = ["admin_procedures", "web_browsing"]
    referral = ReferralTarget(kind=ReferralKind.FRANCE_SERVICES.value, label_fr="France Services Valence")
    db.session.add(referral)
    db.session.commit()
    slot = make_slots(topic, days_ahead=0, hour=23)[0]
    booking = make_booking(slot, topic=topic, status=BookingStatus.CHECKED_IN)
    facilitator = login_as(Role.FACILITATOR)

    url = f"/desk/sessions/new?booking={booking.id}"
    page = client.get(url).page
    fields = form_fields(page, "/desk/sessions/new")
    ticked = [value for name, value in fields if name == "themes"]
    assert ticked == ["web_browsing", "admin_procedures"] or sorted(ticked) == ["admin_procedures", "web_browsing"]
    typed = {"duration": "45", "channel": "home", "equipment": "phone", "equipment_own": "yes",
             "admin_domain": "associations", "procedure_name": "déclaration en préfecture", "autonomy": "partly",
             "outcome": "referred", "referral_target": str(referral.id), "age_bracket": "under_12",
             "situation": "student", "gender": "female", "commune": str(valence[1].id), "note": "=NOTE()"}
    assert all(f'name="{name}"' in page for name in typed), [name for name in typed if f'name="{name}"' not in page]
    sent = [(name, value) for name, value in fields if name not in typed] + list(typed.items())
    response = client.post(url, data=MultiDict(sent))
    assert response.status_code == 302, response.page[response.page.find("error"):][:2000]
    logged = db.session.execute(db.select(HelpSession)).scalar_one()
    assert logged.themes == ["web_browsing", "admin_procedures"]

    day = logged.day
    header, rows = csv_rows(client.get("/stats/sessions.csv", query_string={**period(day), "format": "coop"}))
    assert header == SELF_HEADERS  # the facilitator's own sessions: the Coop's "self export"
    [row] = rows
    assert row["Date"] == day.isoformat() and row["ID CRA"] == str(logged.id)
    assert row["Type"] == "individuel" and row["Participants"] == "1"
    assert row["Canaux d’accompagnement"] == "domicile"
    # At home: the activity took place in the person's commune.
    assert (row["Commune"], row["Code postal"], row["Code Insee"]) == ("Bourg-lès-Valence", "26500", "26058")
    assert row["Nom du lieu"] == ""
    assert row["Durée (min)"] == "45" and row["Matériel numérique utilisé"] == "telephone"
    assert row["Thématique(s) d’accompagnement"].split("\n") == [
        "navigation_sur_internet", "aide_aux_demarches_administratives", "associations"]
    assert row["Tags"] == "Démarches administratives"
    assert row["Nom de la démarche administrative"] == "déclaration en préfecture"
    assert row["Niveau d’autonomie (ou de l’atelier)"] == "partiellement_autonome"
    assert row["Bénéficiaire réorienté"] == "Oui"
    assert row["Structure de redirection"] == "aide_aux_demarches_administratives"
    assert (row["Commune du bénéficiaire"], row["Code postal du bénéficiaire"],
            row["Code Insee du bénéficiaire"]) == ("Bourg-lès-Valence", "26500", "26058")
    assert row["Genre du bénéficiaire"] == "feminin"
    assert row["Tranche d’âge du bénéficiaire"] == "moins_de_douze"
    assert row["Statut du bénéficiaire"] == "scolarise"
    assert row["Notes supplémentaires"] == "" and "=NOTE()" not in str(rows)
    assert row["Bénéficiaire"] == ""  # a booking, not a remembered resident: nobody to name
    assert facilitator.display_name not in str(rows)


@pytest.fixture
def workshop_and_walk_in(app, make_user, valence):
    """A workshop whose title is a formula, and an individual session of someone else's, yesterday."""
    first, second = make_user(Role.FACILITATOR, name="Awa Diop"), make_user(Role.FACILITATOR, name="Kossi")
    resident = Resident(first_name="Mariam", last_name="Traoré", phone="+33612345678")
    db.session.add(resident)
    db.session.flush()
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)
    workshop = HelpSession(kind="workshop", day=yesterday, start_time=time(14), duration_minutes=90,
                           channel="on_site", equipment="tablet", participant_count=5, workshop_title=HYPERLINK,
                           workshop_level="intermediate", facilitator_id=first.id, gender="not_given",
                           age_bracket="12_17", situation="student", other_postal_code="26120",
                           note="=NOTE()")
    workshop.themes = ["social_media", "digital_diagnosis"]
    workshop.attendees = [Attendee(resident_id=resident.id)]
    walk_in = HelpSession(kind="quick", day=yesterday, duration_minutes=10, channel="remote",
                          facilitator_id=second.id, commune_id=valence[0].id, autonomy="autonomous",
                          outcome="resolved")
    walk_in.themes = ["email"]
    db.session.add_all([workshop, walk_in])
    db.session.commit()
    return {"day": yesterday, "first": first, "second": second, "workshop": workshop, "walk_in": walk_in,
            "resident": resident}


def test_a_coordinator_exports_everyone_s_sessions_in_the_team_layout(client, login_as, workshop_and_walk_in):
    login_as(Role.COORDINATOR)
    header, rows = csv_rows(client.get("/stats/sessions.csv",
                                       query_string={**period(workshop_and_walk_in["day"]), "format": "coop"}))
    assert header == TEAM_HEADERS
    workshop, walk_in = rows
    assert (workshop["Prénom du médiateur"], workshop["Nom du médiateur"], workshop["Rôle"]) == (
        "Awa", "Diop", "Médiateur")
    assert workshop["Type"] == "collectif" and workshop["Participants"] == "5"
    assert workshop["Nom de l’atelier"] == "'" + HYPERLINK  # neutralised, as every text cell
    assert workshop["Niveau d’autonomie (ou de l’atelier)"] == "intermediaire"
    assert workshop["Bénéficiaire réorienté"] == ""  # asked of individual activities only
    assert workshop["Thématique(s) d’accompagnement"] == "diagnostic_numerique\nreseaux_sociaux"
    assert (workshop["Nom du lieu"], workshop["Commune"], workshop["Code Insee"]) == (
        "Maison Pour Tous", "Valence", "26362")
    assert (workshop["Commune du bénéficiaire"], workshop["Code postal du bénéficiaire"]) == ("", "26120")
    assert workshop["Genre du bénéficiaire"] == "non_communique"
    assert workshop["Tranche d’âge du bénéficiaire"] == "douze_dix_huit"
    assert walk_in["Type"] == "individuel" and walk_in["Prénom du médiateur"] == "Kossi"
    assert walk_in["Canaux d’accompagnement"] == "a_distance"
    assert (walk_in["Nom du lieu"], walk_in["Commune"], walk_in["Code postal"]) == ("", "Valence", "26000")
    assert walk_in["Niveau d’autonomie (ou de l’atelier)"] == "autonome"
    assert walk_in["Bénéficiaire réorienté"] == "Non"
    # Not recorded is a value of the Coop's domain.
    assert (walk_in["Genre du bénéficiaire"], walk_in["Tranche d’âge du bénéficiaire"],
            walk_in["Statut du bénéficiaire"]) == ("non_communique",) * 3
    assert walk_in["Matériel numérique utilisé"] == ""
    body = str(rows)
    assert "Mariam" not in body and "Traoré" not in body and "612345678" not in body and "NOTE" not in body


def test_a_facilitator_exports_only_their_own_sessions_with_pseudonyms(client, make_user, workshop_and_walk_in):
    log_in(client, workshop_and_walk_in["first"].email)
    client.set_cookie("lang", "en")
    query = {**period(workshop_and_walk_in["day"]), "format": "coop"}
    header, rows = csv_rows(client.get("/stats/sessions.csv", query_string=query))
    assert header == SELF_HEADERS
    assert [row["ID CRA"] for row in rows] == [str(workshop_and_walk_in["workshop"].id)]
    assert re.fullmatch(r"R-[0-9a-f]{12}", rows[0]["Bénéficiaire"])
    # The same pseudonym as the centre's own export gives the resident.
    _, own = csv_rows(client.get("/stats/sessions.csv", query_string=period(workshop_and_walk_in["day"])))
    assert rows[0]["Bénéficiaire"] in {row["Resident pseudonym"] for row in own}
    other = workshop_and_walk_in["second"].id
    assert client.get("/stats/sessions.csv", query_string={**query, "facilitator": other}).status_code == 403
    assert client.get("/stats/sessions.xlsx", query_string={**query, "facilitator": other}).status_code == 403


def test_the_xlsx_reads_back_with_dates_numbers_and_neutralised_text(client, login_as, workshop_and_walk_in):
    login_as(Role.COORDINATOR)
    response = client.get("/stats/sessions.xlsx", query_string={**period(workshop_and_walk_in["day"]),
                                                                  "format": "coop"})
    assert response.status_code == 200
    assert 'filename="activites-coop-' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Activités"]
    sheet = workbook["Activités"]
    header = [cell.value for cell in sheet[1]]
    assert header == TEAM_HEADERS
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 2
    assert rows[0]["Date"].date() == workshop_and_walk_in["day"]  # a date cell
    assert rows[0]["Participants"] == 5 and rows[0]["Durée (min)"] == 90  # numbers
    assert rows[0]["Nom de l’atelier"] == "'" + HYPERLINK
    assert rows[0]["Code postal du bénéficiaire"] == "26120"  # text: a postal code keeps its leading zero
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


@pytest.mark.parametrize("path", ["/stats/sessions.csv", "/stats/sessions.xlsx"])
def test_an_unknown_format_is_refused_with_a_message(client, login_as, path):
    login_as(Role.COORDINATOR)
    client.set_cookie("lang", "en")
    response = client.get(path, query_string={"format": "mednum"})
    assert response.status_code == 400
    assert "This export format does not exist" in response.page
    client.set_cookie("lang", "fr")
    assert "Ce format d'export n'existe pas" in client.get(path, query_string={"format": "=1"}).page


def test_the_statistics_page_offers_the_coop_format(client, login_as):
    login_as(Role.COORDINATOR)
    client.set_cookie("lang", "en")
    page = client.get("/stats/").page
    assert re.search(r'href="/stats/sessions\.xlsx\?[^"]*format=coop[^"]*">Sessions in La Coop\'s format \(XLSX\)',
                     page)
    assert re.search(r'href="/stats/sessions\.csv\?[^"]*format=coop', page)
