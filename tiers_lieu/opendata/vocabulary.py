"""The closed lists of the two national open-data standards the centre publishes in.

Each value is written exactly as the standard writes it: it is what the database stores and what
the published files carry. Each label is what the admin forms show, through Flask-Babel: English
source strings whose French translation is the standard's own wording (for the MedNum lists, the
value itself).

Sources, read at these versions:
- MedNum "lieux de médiation numérique" schema v1.0.2 (Frictionless Table Schema, Licence
  Ouverte 2.0): https://github.com/LaMednum/standard-mediation-num, schema.json at commit
  e347ff40a0072ed2e0caf7f04384dfd2c84dbaff ("version": "v1.0.2"). Its list fields are string
  patterns of `|`-joined values; those values are copied here.
  `typologie` has no list in the schema itself: its description sends to data·inclusion's
  structure typologies. We keep the codes that both the data·inclusion v0 list
  (data-inclusion-schema, v0/typologies_de_structures.py) and the national cartography's own
  validator (npm @gouvfr-anct/lieux-de-mediation-numerique 2.3.0, Typologie) accept, with
  data·inclusion's French names.
- data·inclusion schema v1 (PyPI data-inclusion-schema 1.0.10, data_inclusion/schema/v1/):
  Thematique (and its categories), Frais, Public, TypeService, ModeAccueil, ModeMobilisation.
  tests/test_opendata_vocabulary.py checks these lists against the installed package.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    value: str  # as the standard writes it: stored and published
    label: object  # shown in the forms (a lazy translated string, or plain text)
    category: str = ""  # data·inclusion themes: the category code (the part before "--")


def _terms(*pairs, category=""):
    return tuple(Term(value, label, category) for value, label in pairs)


# --- MedNum "lieux de médiation numérique" v1.0.2 --------------------------------------------

MEDNUM_SERVICES = _terms(
    ("Aide aux démarches administratives", _l("Help with administrative procedures")),
    ("Maîtrise des outils numériques du quotidien", _l("Mastering everyday digital tools")),
    ("Insertion professionnelle via le numérique", _l("Finding work through digital tools")),
    ("Utilisation sécurisée du numérique", _l("Using digital tools safely")),
    ("Parentalité et éducation avec le numérique", _l("Parenting and education with digital tools")),
    ("Loisirs et créations numériques", _l("Digital leisure and creation")),
    ("Compréhension du monde numérique", _l("Understanding the digital world")),
    ("Accès internet et matériel informatique", _l("Internet access and computer equipment")),
    ("Acquisition de matériel informatique à prix solidaire",
     _l("Buying computer equipment at a solidarity price")),
)

# The data·inclusion v0 structure typologies that the cartography's validator also accepts. The
# names are French administrative categories with no official translation: shown as they are.
TYPOLOGIE = _terms(
    ("ACI", "ACI — Structures porteuses d'ateliers et chantiers d'insertion"),
    ("ACIPHC", "ACIPHC — SIAE, atelier chantier d'insertion premières heures en chantier"),
    ("AFPA", "AFPA — Agence nationale pour la formation professionnelle des adultes"),
    ("AI", "AI — Associations intermédiaires"),
    ("ASE", "ASE — Aide sociale à l'enfance"),
    ("ASSO", "ASSO — Associations"),
    ("ASSO_CHOMEUR", "ASSO_CHOMEUR — Associations de chômeurs"),
    ("Autre", "Autre"),
    ("AVIP", "AVIP — Crèche à vocation d'insertion professionnelle"),
    ("BIB", "BIB — Bibliothèque / Médiathèque"),
    ("CAARUD", "CAARUD — Centre d'accueil et d'accompagnement à la réduction de risques pour usagers de drogues"),
    ("CADA", "CADA — Centres d'accueil de demandeurs d'asile"),
    ("CAF", "CAF — Caisses d'allocations familiales"),
    ("CAP_EMPLOI", "CAP_EMPLOI — Cap Emploi"),
    ("CAVA", "CAVA — Centres d'adaptation à la vie active"),
    ("CC", "CC — Communautés de communes"),
    ("CCAS", "CCAS — Centres communaux d'action sociale"),
    ("CCONS", "CCONS — Chambres consulaires (CCI, CMA, CA)"),
    ("CD", "CD — Conseils départementaux"),
    ("CDAS", "CDAS — Centre départemental d'action sociale"),
    ("CFP", "CFP — Centre des finances publiques"),
    ("CHRS", "CHRS — Centres d'hébergement et de réinsertion sociale"),
    ("CHU", "CHU — Centres d'hébergement d'urgence"),
    ("CIAS", "CIAS — Centres intercommunaux d'action sociale"),
    ("CIDFF", "CIDFF — Centres d'information sur les droits des femmes et des familles"),
    ("CITMET", "CITMET — Cité des métiers"),
    ("CMP", "CMP — Centre médico-psychologique"),
    ("CMS", "CMS — Centre médico-social"),
    ("CPAM", "CPAM — Caisse primaire d'assurance maladie"),
    ("CPH", "CPH — Centres provisoires d'hébergement"),
    ("CS", "CS — Centre social"),
    ("CSAPA", "CSAPA — Centre de soins, d'accompagnement et de prévention en addictologie"),
    ("CSC", "CSC — Centre socio-culturel"),
    ("DEETS", "DEETS — Directions de l'économie, de l'emploi, du travail et des solidarités"),
    ("DEPT", "DEPT — Services sociaux du conseil départemental"),
    ("DIPLP", "DIPLP — Délégation interministérielle à la prévention et à la lutte contre la pauvreté"),
    ("E2C", "E2C — École de la 2e chance"),
    ("EA", "EA — Entreprise adaptée"),
    ("EATT", "EATT — Entreprise adaptée de travail temporaire"),
    ("EI", "EI — Entreprises d'insertion"),
    ("EITI", "EITI — Entreprises d'insertion par le travail indépendant"),
    ("ENM", "ENM — Espace numérique mobile"),
    ("EPCI", "EPCI — Intercommunalité"),
    ("EPI", "EPI — Espace public internet"),
    ("EPIDE", "EPIDE — Établissement pour l'insertion dans l'emploi"),
    ("EPN", "EPN — Espace public numérique"),
    ("ES", "ES — Épicerie solidaire"),
    ("ESS", "ESS — Entreprise de l'économie sociale et solidaire"),
    ("ETTI", "ETTI — Entreprises de travail temporaire d'insertion"),
    ("EVS", "EVS — Espace de vie sociale"),
    ("FABLAB", "FABLAB — Fablab / Atelier partagé"),
    ("FAIS", "FAIS — Fédérations d'acteurs de l'insertion et de la solidarité"),
    ("FT", "FT — France Travail"),
    ("GEIQ", "GEIQ — Groupements d'employeurs pour l'insertion et la qualification"),
    ("HUDA", "HUDA — Hébergement d'urgence pour demandeurs d'asile"),
    ("LA_POSTE", "LA_POSTE — Bureau de poste / Agence postale"),
    ("MDE", "MDE — Maison de l'emploi"),
    ("MDEF", "MDEF — Maison de l'emploi et de la formation"),
    ("MDPH", "MDPH — Maison départementale des personnes handicapées"),
    ("MDS", "MDS — Maison départementale des solidarités"),
    ("MJC", "MJC — Maison des jeunes et de la culture"),
    ("ML", "ML — Mission locale"),
    ("MQ", "MQ — Maison de quartier"),
    ("MSA", "MSA — Mutualité sociale agricole"),
    ("MSAP", "MSAP — Maison de services au public"),
    ("MUNI", "MUNI — Municipalités"),
    ("OACAS", "OACAS — Organisme d'accueil communautaire et d'activité solidaire"),
    ("ODC", "ODC — Organisation délégataire d'un CD"),
    ("OF", "OF — Organisme de formation"),
    ("OIL", "OIL — Opérateur d'intermédiation locative"),
    ("OPCS", "OPCS — Organisation porteuse de la clause sociale"),
    ("PAD", "PAD — Point d'accès au droit"),
    ("PENSION", "PENSION — Pension de famille / résidence accueil"),
    ("PI", "PI — Point information"),
    ("PIJ_BIJ", "PIJ_BIJ — Points et bureaux information jeunesse"),
    ("PIMMS", "PIMMS — Point information médiation multi services"),
    ("PJJ", "PJJ — Protection judiciaire de la jeunesse"),
    ("PLIE", "PLIE — Plans locaux pour l'insertion et l'emploi"),
    ("PREF", "PREF — Préfecture, sous-préfecture"),
    ("PREVENTION", "PREVENTION — Service ou club de prévention"),
    ("REG", "REG — Région"),
    ("RESSOURCERIE", "RESSOURCERIE — Ressourcerie"),
    ("RFS", "RFS — Réseau France Services"),
    ("RS_FJT", "RS_FJT — Résidence sociale / Foyer de jeunes travailleurs"),
    ("SCP", "SCP — Services et clubs de prévention"),
    ("SPIP", "SPIP — Services pénitentiaires d'insertion et de probation"),
    ("TIERS_LIEUX", "TIERS_LIEUX — Tiers lieu & coworking"),
    ("UDAF", "UDAF — Union départementale des associations familiales"),
)
DEFAULT_TYPOLOGY = "CS"  # centre social

PUBLICS_SPECIFIQUEMENT_ADRESSES = _terms(
    ("Jeunes", _l("Young people")),
    ("Étudiants", _l("Students")),
    ("Familles et/ou enfants", _l("Families and/or children")),
    ("Seniors", _l("Seniors")),
    ("Femmes", _l("Women")),
)

PRISE_EN_CHARGE_SPECIFIQUE = _terms(
    ("Surdité", _l("Deafness")),
    ("Handicaps moteurs", _l("Motor disabilities")),
    ("Handicaps mentaux", _l("Mental disabilities")),
    ("Illettrisme", _l("Illiteracy")),
    ("Langues étrangères (anglais)", _l("Foreign languages (English)")),
    ("Langues étrangères (autres)", _l("Foreign languages (others)")),
    ("Déficience visuelle", _l("Visual impairment")),
)

FRAIS_A_CHARGE = _terms(
    ("Gratuit", _l("Free")),
    ("Gratuit sous condition", _l("Free under conditions")),
    ("Payant", _l("Paid")),
)

# Names of national schemes: most have no English name, the label keeps the French one.
DISPOSITIF_PROGRAMMES_NATIONAUX = _terms(
    ("Aidants Connect", _l("Aidants Connect")),
    ("Bibliothèques numérique de référence", _l("Reference digital libraries (Bibliothèques numérique de référence)")),
    ("Certification PIX", _l("PIX certification")),
    ("Conseillers numériques", _l("Digital advisers (Conseillers numériques)")),
    ("Emmaüs Connect", _l("Emmaüs Connect")),
    ("France Services", _l("France Services")),
    ("Grande école du numérique", _l("Grande école du numérique")),
    ("La Croix Rouge", _l("The Red Cross (La Croix Rouge)")),
    ("Point d'accès numérique CAF", _l("CAF digital access point (Point d'accès numérique CAF)")),
    ("Promeneurs du net", _l("Promeneurs du net")),
    ("Relais numérique (Emmaüs Connect)", _l("Digital relay (Relais numérique, Emmaüs Connect)")),
)

MODALITES_ACCES = _terms(
    ("Se présenter", _l("Come in person")),
    ("Téléphoner", _l("Call by phone")),
    ("Contacter par mail", _l("Send an e-mail")),
    ("Prendre un RDV en ligne", _l("Book an appointment online")),
    ("Ce lieu n'accueille pas de public", _l("This place does not receive the public")),
    ("Envoyer un mail avec une fiche de prescription", _l("Send an e-mail with a referral form")),
)

MODALITES_ACCOMPAGNEMENT = _terms(
    ("En autonomie", _l("On one's own")),
    ("Accompagnement individuel", _l("One-to-one support")),
    ("Dans un atelier collectif", _l("In a group workshop")),
    ("À distance", _l("Remotely")),
)

# The MedNum values the published row always carries for what the app itself offers, whatever
# the coordinators tick (see mednum.py).
ONLINE_BOOKING = "Prendre un RDV en ligne"

# --- data·inclusion v1 ----------------------------------------------------------------------

THEMATIQUE_CATEGORIES = _terms(
    ("choisir-un-metier", _l("Choosing a trade")),
    ("creer-une-entreprise", _l("Starting a business")),
    ("difficultes-administratives-ou-juridiques", _l("Administrative or legal difficulties")),
    ("difficultes-financieres", _l("Financial difficulties")),
    ("equipement-et-alimentation", _l("Equipment and food")),
    ("famille", _l("Family")),
    ("lecture-ecriture-calcul", _l("Reading, writing and arithmetic")),
    ("logement-hebergement", _l("Housing and accommodation")),
    ("mobilite", _l("Mobility")),
    ("numerique", _l("Digital")),
    ("preparer-sa-candidature", _l("Preparing a job application")),
    ("remobilisation", _l("Getting going again")),
    ("sante", _l("Health")),
    ("se-former", _l("Getting trained")),
    ("souvrir-a-linternational", _l("Going international")),
    ("trouver-un-emploi", _l("Finding a job")),
)

_THEMATIQUES = (
    ("choisir-un-metier--confirmer-son-choix-de-metier", _l("Confirming one's choice of trade")),
    ("choisir-un-metier--connaitre-les-opportunites-demploi", _l("Knowing the job opportunities")),
    ("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite", _l("Discovering a trade or a sector")),
    ("choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
     _l("Identifying one's strengths and skills")),
    ("creer-une-entreprise--definir-son-projet-de-creation-dentreprise", _l("Defining one's business project")),
    ("creer-une-entreprise--developper-son-entreprise", _l("Growing one's business")),
    ("creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
     _l("Structuring one's business project")),
    ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
     _l("Support with administrative procedures")),
    ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",
     _l("Support towards citizenship")),
    ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
     _l("Support to access one's rights")),
    ("difficultes-administratives-ou-juridiques--beneficier-dune-mesure-daccompagnement-adapte",
     _l("Getting an adapted support measure")),
    ("difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination",
     _l("Knowing one's rights against discrimination")),
    ("difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
     _l("Dealing with a legal matter")),
    ("difficultes-financieres--acquerir-une-autonomie-budgetaire", _l("Becoming independent with one's budget")),
    ("difficultes-financieres--ameliorer-sa-gestion-budgetaire", _l("Managing one's budget better")),
    ("difficultes-financieres--mettre-en-place-une-mesure-de-protection-financiere",
     _l("Setting up a financial protection measure")),
    ("difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
     _l("Preventing one's finances from getting worse")),
    ("difficultes-financieres--situation-dendettement-surendettement", _l("Debt or over-indebtedness")),
    ("equipement-et-alimentation--aide-menagere", _l("Home help")),
    ("equipement-et-alimentation--alimentation", _l("Food")),
    ("equipement-et-alimentation--electromenager", _l("Household appliances")),
    ("equipement-et-alimentation--habillement", _l("Clothing")),
    ("famille--garde-denfants", _l("Childcare")),
    ("famille--prise-en-charge-personne-dependante", _l("Caring for a dependent person")),
    ("famille--soutien-a-la-parentalite-et-a-leducation", _l("Support with parenting and education")),
    ("famille--soutien-aidants", _l("Support for carers")),
    ("famille--surmonter-conflits-separation-violence", _l("Overcoming conflicts from separation or violence")),
    ("lecture-ecriture-calcul--maitriser-le-calcul", _l("Mastering arithmetic")),
    ("lecture-ecriture-calcul--maitriser-le-francais", _l("Mastering French")),
    ("logement-hebergement--acheter-un-logement", _l("Buying a home")),
    ("logement-hebergement--changer-de-logement", _l("Moving home")),
    ("logement-hebergement--louer-un-logement", _l("Renting a home")),
    ("logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
     _l("Looking for temporary accommodation")),
    ("logement-hebergement--reduire-les-impayes-de-loyer", _l("Reducing rent arrears")),
    ("logement-hebergement--se-maintenir-dans-le-logement", _l("Keeping one's home")),
    ("logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
     _l("Learning about the steps to get housing")),
    ("mobilite--acceder-a-un-vehicule", _l("Getting a vehicle")),
    ("mobilite--entretenir-reparer-son-vehicule", _l("Maintaining and repairing one's vehicle")),
    ("mobilite--etre-accompagne-dans-son-parcours-mobilite", _l("Being supported in one's mobility")),
    ("mobilite--financer-ma-mobilite", _l("Paying for my mobility")),
    ("mobilite--preparer-un-permis", _l("Preparing a driving licence")),
    ("mobilite--mobilite-douce-partagee-collective", _l("Using soft, shared or public transport")),
    ("numerique--acceder-a-des-services-en-ligne", _l("Using online services")),
    ("numerique--acceder-a-une-connexion-internet", _l("Getting an Internet connection")),
    ("numerique--acquerir-un-equipement", _l("Getting equipment")),
    ("numerique--maitriser-les-fondamentaux-du-numerique", _l("Mastering digital basics")),
    ("preparer-sa-candidature--developper-son-reseau", _l("Growing one's network")),
    ("preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi", _l("Organising one's job search")),
    ("preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
     _l("Writing a CV and/or a cover letter")),
    ("preparer-sa-candidature--valoriser-ses-competences", _l("Showing one's skills")),
    ("remobilisation--activites-sportives-et-culturelles", _l("Sports and cultural activities")),
    ("remobilisation--benevolat-action-citoyenne", _l("Volunteering and civic action")),
    ("remobilisation--bien-etre-confiance-en-soi", _l("Well-being and self-confidence")),
    ("remobilisation--lien-social", _l("Social ties")),
    ("sante--acces-aux-soins", _l("Access to care")),
    ("sante--addictions", _l("Addictions")),
    ("sante--constituer-un-dossier-mdph-invalidite", _l("Preparing an MDPH file for disability")),
    ("sante--sante-mentale", _l("Mental health")),
    ("sante--sante-sexuelle", _l("Sexual health")),
    ("se-former--monter-son-dossier-de-formation", _l("Preparing one's training file")),
    ("se-former--trouver-sa-formation", _l("Finding a training course")),
    ("souvrir-a-linternational--connaitre-les-opportunites-demploi-a-letranger",
     _l("Knowing the job opportunities abroad")),
    ("souvrir-a-linternational--sinformer-sur-les-aides-pour-travailler-a-letranger",
     _l("Learning about help to work abroad")),
    ("souvrir-a-linternational--sorganiser-suite-a-son-retour-en-france",
     _l("Getting organised after coming back to France")),
    ("trouver-un-emploi--convaincre-un-recruteur-en-entretien", _l("Convincing a recruiter in an interview")),
    ("trouver-un-emploi--faire-des-candidatures-spontanees", _l("Sending unsolicited applications")),
    ("trouver-un-emploi--maintien-dans-lemploi", _l("Keeping one's job")),
    ("trouver-un-emploi--repondre-a-des-offres-demploi", _l("Answering job offers")),
    ("trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs",
     _l("Following up one's applications with employers")),
)
# Grouped by category, in the standard's order; each term knows its category.
THEMATIQUES = tuple(Term(value, label, value.partition("--")[0]) for value, label in _THEMATIQUES)

FRAIS = _terms(
    ("gratuit", _l("Free")),
    ("payant", _l("Paid")),
)

PUBLICS = _terms(
    ("tous-publics", _l("All publics")),
    ("actifs", _l("Working people")),
    ("beneficiaires-des-minimas-sociaux", _l("People on minimum social benefits")),
    ("demandeurs-emploi", _l("Jobseekers")),
    ("etudiants", _l("Students")),
    ("familles", _l("Families")),
    ("femmes", _l("Women")),
    ("jeunes", _l("Young people")),
    ("personnes-en-situation-de-handicap", _l("People with disabilities")),
    ("personnes-en-situation-durgence", _l("People in an emergency")),
    ("personnes-en-situation-juridique-specifique", _l("People in a specific legal situation")),
    ("personnes-exilees", _l("Exiled people")),
    ("residents-qpv-frr", _l("Residents of priority neighbourhoods or rural revitalisation areas (QPV, FRR)")),
    ("seniors", _l("Older people")),
)
ALL_PUBLICS = "tous-publics"  # data·inclusion: alone, never with another value

TYPES_SERVICE = _terms(
    ("accompagnement", _l("Support")),
    ("aide-financiere", _l("Financial help")),
    ("aide-materielle", _l("Material help")),
    ("atelier", _l("Workshop")),
    ("formation", _l("Training")),
    ("information", _l("Information")),
)

MODES_ACCUEIL = _terms(
    ("a-distance", _l("Remotely")),
    ("en-presentiel", _l("In person")),
)

MODES_MOBILISATION = _terms(
    ("envoyer-un-courriel", _l("Send an e-mail message")),
    ("se-presenter", _l("Come in person")),
    ("telephoner", _l("Call by phone")),
    ("utiliser-lien-mobilisation", _l("Use the booking link")),
)

# The lists by name: MedNum lists under their field names, data·inclusion ones under theirs.
LISTS = {
    "services": MEDNUM_SERVICES,
    "typologie": TYPOLOGIE,
    "publics_specifiquement_adresses": PUBLICS_SPECIFIQUEMENT_ADRESSES,
    "prise_en_charge_specifique": PRISE_EN_CHARGE_SPECIFIQUE,
    "frais_a_charge": FRAIS_A_CHARGE,
    "dispositif_programmes_nationaux": DISPOSITIF_PROGRAMMES_NATIONAUX,
    "modalites_acces": MODALITES_ACCES,
    "modalites_accompagnement": MODALITES_ACCOMPAGNEMENT,
    "thematiques": THEMATIQUES,
    "thematique_categories": THEMATIQUE_CATEGORIES,
    "frais": FRAIS,
    "publics": PUBLICS,
    "types_service": TYPES_SERVICE,
    "modes_accueil": MODES_ACCUEIL,
    "modes_mobilisation": MODES_MOBILISATION,
}

_VALUES = {name: frozenset(term.value for term in terms) for name, terms in LISTS.items()}


def values(list_name):
    """The list's values, in the standard's order."""
    return tuple(term.value for term in LISTS[list_name])


def choices(list_name):
    """(value, label) pairs for a WTForms field, in the standard's order."""
    return [(term.value, term.label) for term in LISTS[list_name]]


def is_valid(list_name, value):
    """Whether `value` is one of the list's values, exactly as the standard writes it."""
    return value in _VALUES[list_name]


def label(list_name, value):
    """The label of a value (the value itself when it is not in the list)."""
    for term in LISTS[list_name]:
        if term.value == value:
            return term.label
    return value


def category_label(category):
    """The label of a data·inclusion theme category ("numerique" -> "Digital")."""
    return label("thematique_categories", category)


def in_order(list_name, stored):
    """The stored values that are in the list, without repeats, in the standard's order: what the
    published files carry, the same from one day to the next whatever order they were ticked in."""
    kept = set(stored or ())
    return [term.value for term in LISTS[list_name] if term.value in kept]


def only_valid(list_name, stored):
    """The stored values that are in the list, in the order stored, without repeats: what the
    published files carry (a value that left the standard is dropped, never published)."""
    seen = []
    for value in stored or ():
        if is_valid(list_name, value) and value not in seen:
            seen.append(value)
    return seen
