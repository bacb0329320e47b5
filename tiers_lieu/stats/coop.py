"""Our codes and La Coop de la médiation numérique's, in one place, and the sessions in its words.

La Coop (inclusion-numerique/coop-mediation-numerique, read at commit
46aa33bdf21c42c2d5bbb2913f5c453cca5a9542) keeps the national activity report ("CRA") of French
digital mediators. Its enums are in apps/web/prisma/schema.prisma; the value codes below are their
`@map` values, which are also what the Coop's own API writes (its `…ApiValues` tables, e.g.
cra/fields/type-lieu.ts). We keep short English codes (desk/models.py); this module is the only
place that knows the Coop's, so that nothing else has to change when the Coop renames one.

Every table maps each of our codes to one Coop code; where two of ours meet in one of theirs (a
quick help and an individual session are both "individuel" there) the first of ours in our list's
order is the one a Coop code reads back as (`Mapping.ours`). The tests map every value both ways.

`session_rows` writes the sessions as the Coop's activity export does
(apps/web/src/features/activites/use-cases/list/export/buildAccompagnementsWorksheet.ts): its
columns in its order with its French headers, one row per activity. Choices made where the Coop
and the centre differ, each said again where it is made:
- cells hold the Coop's value codes, not the French labels its worksheet shows: the issue asks for
  a file a future import can read, and the codes are what the Coop's database and API hold;
  several values in one cell are joined by a line break, as the Coop's worksheet joins them;
- one row per activity (the Coop writes one per participant: "2/5"); "Participants" is the
  activity's number of participants, since our profile (age, gender…) is the session's;
- no metadata rows above the table (the Coop writes who exported what, then a blank row): the
  header is the first row, so that a program can read the file without skipping lines;
- residents stay pseudonymous as in the centre's own session export: the "Bénéficiaire" column
  holds pseudonyms, "Notes supplémentaires" stays empty (notes never leave the application).
"""
from datetime import timezone

from sqlalchemy import select

from ..accounts.models import User
from ..core import communes
from ..core.centre import centre_timezone, current_centre
from ..desk.models import (AdminDomain, AgeBracket, Autonomy, Channel, Equipment, Gender, NationalTheme,
                           ReferralKind, ReferralTarget, SessionKind, SessionTheme, Situation, WorkshopLevel,
                           help_session_topic)
from .queries import ATT, by_session, list_labels, session_chunks

SOURCE_COMMIT = "46aa33bdf21c42c2d5bbb2913f5c453cca5a9542"


class Mapping:
    """One of our closed lists and the Coop enum it maps to: {our code: Coop code}."""

    def __init__(self, coop_enum, pairs):
        self.coop_enum = coop_enum  # the Coop's enum name in schema.prisma, for the reader and the tests
        self.to_coop = {member.value: code for member, code in pairs}
        self._back = {}
        for member, code in pairs:
            self._back.setdefault(code, member.value)  # the first of ours in list order

    def coop(self, code):
        """The Coop's code of one of ours; "" for None or a code no longer in our list."""
        return self.to_coop.get(code, "") if code else ""

    def ours(self, coop_code):
        """Our code of one of the Coop's, or None when the Coop's is not one this list maps."""
        return self._back.get(coop_code)

    @property
    def coop_codes(self):
        return list(self._back)


KIND = Mapping("TypeActivite", [
    (SessionKind.INDIVIDUAL, "individuel"), (SessionKind.WORKSHOP, "collectif"),
    # The Coop has no "quick help": it is an individual activity there, of a short duration.
    (SessionKind.QUICK, "individuel")])
PLACE_TYPE = Mapping("TypeLieu", [
    (Channel.ON_SITE, "lieu_activite"), (Channel.REMOTE, "a_distance"), (Channel.HOME, "domicile"),
    (Channel.OTHER_PLACE, "autre")])
EQUIPMENT = Mapping("Materiel", [
    (Equipment.COMPUTER, "ordinateur"), (Equipment.PHONE, "telephone"), (Equipment.TABLET, "tablette"),
    (Equipment.OTHER, "autre"), (Equipment.NONE, "aucun")])
THEME = Mapping("Thematique", [
    (NationalTheme.DIAGNOSIS, "diagnostic_numerique"),
    (NationalTheme.DEVICE_HANDLING, "prendre_en_main_du_materiel"),
    (NationalTheme.DEVICE_MAINTENANCE, "maintenance_de_materiel"),
    (NationalTheme.DIGITAL_CONTENT, "gere_ses_contenus_numeriques"),
    (NationalTheme.BROWSING, "navigation_sur_internet"),
    (NationalTheme.EMAIL, "email"),
    (NationalTheme.OFFICE, "bureautique"),
    (NationalTheme.SOCIAL_MEDIA, "reseaux_sociaux"),
    (NationalTheme.HEALTH, "sante"),
    (NationalTheme.BANKING_SHOPPING, "banque_et_achats_en_ligne"),
    (NationalTheme.ENTREPRENEURSHIP, "entrepreneuriat"),
    (NationalTheme.JOB_SEEKING, "insertion_professionnelle"),
    (NationalTheme.SECURITY, "securite_numerique"),
    (NationalTheme.PARENTING, "parentalite"),
    (NationalTheme.SCHOOLING, "scolarite_et_numerique"),
    (NationalTheme.CREATION, "creer_avec_le_numerique"),
    (NationalTheme.CULTURE, "culture_numerique"),
    (NationalTheme.AI, "intelligence_artificielle"),
    (NationalTheme.ADMIN_PROCEDURES, "aide_aux_demarches_administratives")])
# The administrative domains are values of the same Coop enum (Thematique), chosen under
# "aide aux démarches administratives".
ADMIN_DOMAIN = Mapping("Thematique", [
    (AdminDomain.PAPERS, "papiers_elections_citoyennete"), (AdminDomain.FAMILY, "famille_scolarite"),
    (AdminDomain.SOCIAL_HEALTH, "social_sante"), (AdminDomain.WORK, "travail_formation"),
    (AdminDomain.HOUSING, "logement"), (AdminDomain.TRANSPORT, "transports_mobilite"),
    (AdminDomain.MONEY, "argent_impots"), (AdminDomain.JUSTICE, "justice"),
    (AdminDomain.FOREIGNERS, "etrangers_europe"), (AdminDomain.LEISURE, "loisirs_sports_culture"),
    (AdminDomain.ASSOCIATIONS, "associations")])
AUTONOMY = Mapping("Autonomie", [
    (Autonomy.GUIDED, "entierement_accompagne"), (Autonomy.PARTLY, "partiellement_autonome"),
    (Autonomy.AUTONOMOUS, "autonome")])
REFERRAL = Mapping("StructureDeRedirection", [
    (ReferralKind.ADMINISTRATION, "administration"),
    (ReferralKind.OPERATOR, "operateur_ou_organisme_en_charge"),
    (ReferralKind.FRANCE_SERVICES, "aide_aux_demarches_administratives"),
    (ReferralKind.SOCIAL, "aide_sociale"),
    (ReferralKind.EMPLOYMENT, "insertion_professionnelle"),
    (ReferralKind.DIGITAL_MEDIATION, "mediation_numerique"),
    (ReferralKind.OTHER, "autre")])
LEVEL = Mapping("NiveauAtelier", [
    (WorkshopLevel.BEGINNER, "debutant"), (WorkshopLevel.INTERMEDIATE, "intermediaire"),
    (WorkshopLevel.ADVANCED, "avance")])
GENDER = Mapping("Genre", [
    (Gender.MALE, "masculin"), (Gender.FEMALE, "feminin"), (Gender.NOT_GIVEN, "non_communique")])
AGE = Mapping("TrancheAge", [
    (AgeBracket.UNDER_12, "moins_de_douze"), (AgeBracket.FROM_12, "douze_dix_huit"),
    (AgeBracket.FROM_18, "dix_huit_vingt_quatre"), (AgeBracket.FROM_25, "vingt_cinq_trente_neuf"),
    (AgeBracket.FROM_40, "quarante_cinquante_neuf"), (AgeBracket.FROM_60, "soixante_soixante_neuf"),
    (AgeBracket.FROM_70, "soixante_dix_plus"), (AgeBracket.UNKNOWN, "non_communique")])
SITUATION = Mapping("StatutSocial", [
    (Situation.STUDENT, "scolarise"), (Situation.UNEMPLOYED, "sans_emploi"), (Situation.EMPLOYED, "en_emploi"),
    (Situation.RETIRED, "retraite"), (Situation.UNKNOWN, "non_communique")])

MAPPINGS = {"kind": KIND, "channel": PLACE_TYPE, "equipment": EQUIPMENT, "theme": THEME,
            "admin_domain": ADMIN_DOMAIN, "autonomy": AUTONOMY, "referral_kind": REFERRAL,
            "workshop_level": LEVEL, "gender": GENDER, "age_bracket": AGE, "situation": SITUATION}

# The Coop's duration presets (cra/fields/duree-accompagnement.ts): minutes, or "personnaliser"
# with hours and minutes. It stores minutes either way ("duree", an integer), as we do.
DURATION_PRESETS = (15, 30, 45, 60, 90, 120)
CUSTOM_DURATION = "personnaliser"


def duration(minutes):
    """The Coop form's duration answer for a number of minutes: a preset's code or "personnaliser"."""
    return str(minutes) if minutes in DURATION_PRESETS else CUSTOM_DURATION


def minutes_of(answer, hours=0, minutes=0):
    """Minutes from the Coop form's duration answer (craDureeDataToMinutes)."""
    return hours * 60 + minutes if answer == CUSTOM_DURATION else int(answer)


def themes(theme_codes, admin_domain):
    """The Coop's `thematiques` of a session, in the Coop's order: the national themes, then the
    administrative domain. In the Coop a domain can only be chosen under "aide aux démarches
    administratives", so a session with a domain carries that theme even if it was not ticked."""
    codes = [THEME.coop(code) for code in theme_codes]
    if admin_domain:
        codes.append(THEME.coop(NationalTheme.ADMIN_PROCEDURES.value))
    order = {code: n for n, code in enumerate(THEME.coop_codes + ADMIN_DOMAIN.coop_codes)}
    chosen = sorted({code for code in codes if code}, key=order.get)
    domain = ADMIN_DOMAIN.coop(admin_domain)
    return chosen + ([domain] if domain else [])


# -- the export ----------------------------------------------------------------------------------

LINE_BREAK = "\n"  # the Coop's worksheet joins several values of a cell with it (intraCellLineBreak)
YES, NO = "Oui", "Non"  # a boolean has no code in the Coop: its worksheet writes these words


def headers(own_sessions):
    """The Coop's column headers in its order. `own_sessions`: the export holds only the sessions
    of the member of staff downloading it, as the Coop's "self export" (isSelfExport): then it
    names the beneficiary instead of the mediator, like the Coop's."""
    return [
        "Date", "Enregistré le", "Dernière modification le",
        *([] if own_sessions else ["Prénom du médiateur", "Nom du médiateur", "Rôle", "ID - Conum"]),
        "Type", "Participants",
        *(["Bénéficiaire"] if own_sessions else []),
        "Canaux d’accompagnement", "Nom du lieu", "Adresse", "Commune", "Code postal", "Code Insee",
        "Durée (min)", "Nom de l’atelier", "Matériel numérique utilisé", "Thématique(s) d’accompagnement",
        "Tags", "Nom de la démarche administrative", "Niveau d’autonomie (ou de l’atelier)",
        "Bénéficiaire réorienté", "Structure de redirection", "Commune du bénéficiaire",
        "Code postal du bénéficiaire", "Code Insee du bénéficiaire", "Genre du bénéficiaire",
        "Tranche d’âge du bénéficiaire", "Statut du bénéficiaire",
        *(["Notes supplémentaires"] if own_sessions else []),
        # "Source de la donnée" is written by the Coop only for accounts with imported V1 reports.
        "ID CRA",
    ]


def split_name(display_name):
    """(first name, last name) of a member of staff, for the Coop's two columns: we keep one name,
    cut at its first space ("Awa Diop" → "Awa", "Diop")."""
    first, _, last = (display_name or "").strip().partition(" ")
    return first, last.strip()


def beneficiary_commune(commune, other_postal_code):
    """(name, postal code, INSEE code) of the person's commune as the Coop stores them: from the
    centre's list, or "another commune" of which only the postal code is known (its name and code
    filled in when La Poste gives that postal code to one commune only)."""
    if commune is not None:
        return commune.name, commune.postal_code, commune.insee_code
    if other_postal_code:
        served = communes.communes_of_postal_code(other_postal_code)
        if len(served) == 1:
            return served[0].name, other_postal_code, served[0].insee_code
        return "", other_postal_code, ""
    return "", "", ""


def place_columns(channel, centre, home):
    """(name, address, commune, postal code, INSEE code) of where the activity took place. As in the
    Coop: at the centre, the centre itself; remote, the centre's commune (the Coop assigns the
    employing structure's); at home, the person's commune; elsewhere, unknown."""
    if channel == Channel.ON_SITE.value:
        return centre.name, centre.address, centre.commune, centre.postal_code, centre.insee_code
    if channel == Channel.REMOTE.value:
        return "", "", centre.commune, centre.postal_code, centre.insee_code
    if channel == Channel.HOME.value:
        return "", "", *home
    return "", "", "", "", ""


def _instant(value, tz):
    """"04/12/2026 à 10:15", the Coop's "Enregistré le", in the centre's time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz).strftime("%d/%m/%Y à %H:%M")


def session_rows(session, filters, pseudonym, own_sessions, chunk=1_000):
    """The header, then one row per session of the filters in the Coop's columns, read by chunks.

    `pseudonym(resident_id)`: the resident's pseudonym, as the centre's own export writes it.
    """
    labels = list_labels(session)
    staff = dict(session.execute(select(User.id, User.display_name)).all())
    referral_kinds = dict(session.execute(select(ReferralTarget.id, ReferralTarget.kind)).all())
    centre, tz = current_centre(), centre_timezone()
    yield headers(own_sessions)
    for sessions in session_chunks(session, filters, chunk):
        ids = [row.id for row in sessions]
        topics = by_session(session, select(help_session_topic.c.session_id, help_session_topic.c.topic_id)
                            .where(help_session_topic.c.session_id.in_(ids)))
        theme_codes = by_session(session, select(SessionTheme.session_id, SessionTheme.theme)
                                 .where(SessionTheme.session_id.in_(ids)))
        attendees = by_session(session, select(ATT.c.session_id, ATT.c.resident_id)
                               .where(ATT.c.session_id.in_(ids)).order_by(ATT.c.id))
        session.rollback()  # end the read transaction between chunks, as the centre's own export
        for row in sessions:
            yield _row(row, own_sessions, centre, tz, staff, referral_kinds, labels.communes,
                       [labels.topics.get(str(topic_id), "") for topic_id in topics.get(row.id, [])],
                       theme_codes.get(row.id, []),
                       [pseudonym(resident) for resident in attendees.get(row.id, [])[:row.participant_count]
                        if resident is not None])


def _row(row, own_sessions, centre, tz, staff, referral_kinds, communes, topic_names, theme_codes, pseudonyms):
    workshop = row.kind == SessionKind.WORKSHOP.value
    home = beneficiary_commune(communes.get(str(row.commune_id)) if row.commune_id else None, row.other_postal_code)
    created, modified = _instant(row.created_at, tz), _instant(row.updated_at, tz)
    referral_kind = referral_kinds.get(row.referral_target_id) if row.referral_target_id else None
    # The Coop asks "réorienté ?" of individual activities only.
    referred = "" if workshop else (YES if referral_kind or row.outcome == "referred" else NO)
    first, last = split_name(staff.get(row.facilitator_id, ""))
    return [
        row.day, created, "" if modified == created else modified,
        # "Rôle": the Coop tells a "Conseiller Numérique" (state-funded post) from a "Médiateur";
        # the centre does not record it, hence "Médiateur" and no Conum id.
        *([] if own_sessions else [first, last, "Médiateur", ""]),
        KIND.coop(row.kind), row.participant_count,
        *([LINE_BREAK.join(pseudonyms)] if own_sessions else []),
        PLACE_TYPE.coop(row.channel), *place_columns(row.channel, centre, home),
        row.duration_minutes, (row.workshop_title or "") if workshop else "", EQUIPMENT.coop(row.equipment),
        LINE_BREAK.join(themes(theme_codes, row.admin_domain)),
        # The centre's own topics are what the Coop calls tags: a structure's labels of its own.
        LINE_BREAK.join(topic_names), row.procedure_name or "",
        # One column for both, as in the Coop: a workshop's level, an individual session's autonomy.
        LEVEL.coop(row.workshop_level) if workshop else AUTONOMY.coop(row.autonomy),
        referred, REFERRAL.coop(referral_kind),
        *home,
        # Absence is a value of the Coop's domain: "non_communique" (beneficiaire/domain/genre.ts).
        GENDER.coop(row.gender) or GENDER.coop(Gender.NOT_GIVEN.value),
        AGE.coop(row.age_bracket) or AGE.coop(AgeBracket.UNKNOWN.value),
        SITUATION.coop(row.situation) or SITUATION.coop(Situation.UNKNOWN.value),
        *([""] if own_sessions else []),
        row.id,
    ]
