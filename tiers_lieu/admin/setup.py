"""Set-up pages: topics and procedures, places, needs and referral targets, the centre itself.

Nothing here is ever deleted: bookings, slots and sessions point at these rows, so they are
deactivated instead. Every change is audited by field name.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..booking.contact import display_phone, normalise_phone
from ..booking.models import Location, Procedure, Topic
from ..core.centre import Centre
from ..core.identity import SUMMARY_MAX, in_france, openstreetmap_url
from ..desk.models import Commune, Need, ReferralKind, ReferralTarget
from ..extensions import db
from .blueprint import bp
from .forms import CentreForm, CommuneForm, LocationForm, NeedForm, ProcedureForm, ReferralTargetForm, TopicForm
from .locator import locator


def get_or_404(model, row_id):
    return db.session.get(model, row_id) or abort(404)


def apply_form(form, row, names):
    """Copy these fields from the form into the row; return the names that changed."""
    changed = []
    for name in names:
        value = getattr(form, name).data
        if getattr(row, name, None) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


def next_position(model, *where):
    return (db.session.execute(select(func.max(model.position)).where(*where)).scalar() or 0) + 1


def move(row, siblings, direction):
    """Swap the row with its neighbour in the list, then number the list 1, 2, 3…"""
    rows = list(siblings)
    index = rows.index(row)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, item in enumerate(rows, start=1):
        item.position = position


def direction_or_400():
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return direction


# --- topics and procedures --------------------------------------------------------------------

TOPIC_FIELDS = ("slug", "name_fr", "name_en", "description_fr", "description_en", "pictogram", "colour",
                "default_duration", "what_to_bring_fr", "what_to_bring_en", "position", "active",
                "mednum_services", "di_thematiques", "national_themes")


def ordered_topics():
    return db.session.execute(select(Topic).options(selectinload(Topic.procedures))
                              .order_by(Topic.position, Topic.id)).scalars().all()


def slug_taken(slug, topic):
    query = select(Topic.id).where(Topic.slug == slug)
    if topic.id is not None:
        query = query.where(Topic.id != topic.id)
    return db.session.execute(query).first() is not None


@bp.route("/topics")
def topics():
    return render_template("admin/topics.html", topics=ordered_topics())


@bp.route("/topics/new", methods=["GET", "POST"])
def new_topic():
    return topic_form(Topic(active=True, colour="#1d4e89", default_duration=30,
                            position=next_position(Topic)))


@bp.route("/topics/<int:topic_id>", methods=["GET", "POST"])
def edit_topic(topic_id):
    return topic_form(get_or_404(Topic, topic_id))


def topic_form(topic):
    form = TopicForm(obj=topic)
    if form.validate_on_submit():
        if slug_taken(form.slug.data, topic):
            form.slug.errors.append(_("Another topic already has this short name."))
        else:
            is_new = topic.id is None
            changed = apply_form(form, topic, TOPIC_FIELDS)
            db.session.add(topic)
            db.session.flush()
            if is_new or changed:
                audit.record("settings.topic_add" if is_new else "settings.topic_edit", topic, fields=changed)
            db.session.commit()
            flash(_("The topic “%(name)s” is saved.", name=topic.name), "success")
            return redirect(url_for("admin.topics"))
    procedure_form = ProcedureForm(prefix="procedure") if topic.id else None
    return render_template("admin/topic_form.html", form=form, topic=topic, procedure_form=procedure_form)


@bp.route("/topics/<int:topic_id>/move", methods=["POST"])
def move_topic(topic_id):
    topic = get_or_404(Topic, topic_id)
    move(topic, ordered_topics(), direction_or_400())
    audit.record("settings.topic_move", topic)
    db.session.commit()
    return redirect(url_for("admin.topics", _anchor=f"topic-{topic.id}"))


@bp.route("/topics/<int:topic_id>/procedures", methods=["POST"])
def new_procedure(topic_id):
    topic = get_or_404(Topic, topic_id)
    form = ProcedureForm(prefix="procedure")
    if form.validate_on_submit():
        procedure = Procedure(topic=topic, name=form.name.data, active=True,
                              position=next_position(Procedure, Procedure.topic_id == topic.id))
        db.session.add(procedure)
        db.session.flush()
        audit.record("settings.procedure_add", procedure, topic_id=topic.id)
        db.session.commit()
        flash(_("The procedure “%(name)s” is added.", name=procedure.name), "success")
        return redirect(url_for("admin.edit_topic", topic_id=topic.id, _anchor="procedures"))
    return render_template("admin/topic_form.html", form=TopicForm(formdata=None, obj=topic), topic=topic,
                           procedure_form=form)


@bp.route("/procedures/<int:procedure_id>", methods=["GET", "POST"])
def edit_procedure(procedure_id):
    procedure = get_or_404(Procedure, procedure_id)
    form = ProcedureForm(obj=procedure)
    if form.validate_on_submit():
        if apply_form(form, procedure, ("name",)):
            audit.record("settings.procedure_edit", procedure, fields=["name"])
            db.session.commit()
        flash(_("The procedure “%(name)s” is saved.", name=procedure.name), "success")
        return redirect(url_for("admin.edit_topic", topic_id=procedure.topic_id, _anchor="procedures"))
    return render_template("admin/procedure_form.html", form=form, procedure=procedure)


@bp.route("/procedures/<int:procedure_id>/active", methods=["POST"])
def procedure_active(procedure_id):
    procedure = get_or_404(Procedure, procedure_id)
    procedure.active = request.form.get("active") == "1"
    audit.record("settings.procedure_activate" if procedure.active else "settings.procedure_deactivate",
                 procedure)
    db.session.commit()
    return redirect(url_for("admin.edit_topic", topic_id=procedure.topic_id, _anchor="procedures"))


@bp.route("/procedures/<int:procedure_id>/move", methods=["POST"])
def move_procedure(procedure_id):
    procedure = get_or_404(Procedure, procedure_id)
    move(procedure, procedure.topic.procedures, direction_or_400())
    audit.record("settings.procedure_move", procedure)
    db.session.commit()
    return redirect(url_for("admin.edit_topic", topic_id=procedure.topic_id, _anchor="procedures"))


# --- places, needs and referral targets: one set of pages for each simple list ----------------

class SimpleList:
    """A list the coordinator keeps: its model, form, fields, and the words its pages use."""

    def __init__(self, name, model, form, fields, audit_name):
        self.name, self.model, self.form, self.fields, self.audit_name = name, model, form, fields, audit_name

    def rows(self):
        return db.session.execute(select(self.model).order_by(self.model.position, self.model.id)).scalars().all()


LISTS = {
    "places": SimpleList("places", Location, LocationForm, ("name", "active"), "location"),
    "needs": SimpleList("needs", Need, NeedForm, ("label_fr", "label_en", "active"), "need"),
    "referrals": SimpleList("referrals", ReferralTarget, ReferralTargetForm,
                            ("kind", "label_fr", "label_en", "active"), "referral_target"),
    "communes": SimpleList("communes", Commune, CommuneForm, ("name", "postal_code", "insee_code", "active"),
                           "commune"),
}


def list_or_404(name):
    return LISTS.get(name) or abort(404)


@bp.route("/lists/<name>")
def simple_list(name):
    kept = list_or_404(name)
    return render_template("admin/list.html", kept=kept, rows=kept.rows(), form=kept.form(),
                           kinds=ReferralKind)


@bp.route("/lists/<name>/new", methods=["POST"])
def simple_list_new(name):
    kept = list_or_404(name)
    form = kept.form()
    if form.validate_on_submit():
        row = kept.model(position=next_position(kept.model), active=True)
        apply_form(form, row, [name for name in kept.fields if name != "active"])
        db.session.add(row)
        db.session.flush()
        audit.record(f"settings.{kept.audit_name}_add", row)
        db.session.commit()
        flash(_("The entry is added."), "success")
        return redirect(url_for("admin.simple_list", name=name))
    return render_template("admin/list.html", kept=kept, rows=kept.rows(), form=form, kinds=ReferralKind)


@bp.route("/lists/<name>/<int:row_id>", methods=["GET", "POST"])
def simple_list_edit(name, row_id):
    kept = list_or_404(name)
    row = get_or_404(kept.model, row_id)
    form = kept.form(obj=row)
    if form.validate_on_submit():
        changed = apply_form(form, row, kept.fields)
        if changed:
            audit.record(f"settings.{kept.audit_name}_edit", row, fields=changed)
            db.session.commit()
        flash(_("The entry is saved."), "success")
        return redirect(url_for("admin.simple_list", name=name))
    return render_template("admin/list_edit.html", kept=kept, row=row, form=form)


@bp.route("/lists/<name>/<int:row_id>/move", methods=["POST"])
def simple_list_move(name, row_id):
    kept = list_or_404(name)
    row = get_or_404(kept.model, row_id)
    move(row, kept.rows(), direction_or_400())
    audit.record(f"settings.{kept.audit_name}_move", row)
    db.session.commit()
    return redirect(url_for("admin.simple_list", name=name, _anchor=f"row-{row.id}"))


# --- the centre ------------------------------------------------------------------------------

# Every field of the centre's form, in the order the audit lists them.
CENTRE_FIELDS = ("name", "siret_or_rna", "typology", "address", "postal_code", "commune", "insee_code",
                 "latitude", "longitude", "phone", "email", "website", "acceslibre_url", "national_programmes",
                 "fees", "publics", "specific_support", "access_modes", "support_modes", "summary",
                 "presentation")


@bp.route("/centre", methods=["GET", "POST"])
def centre():
    row = db.session.execute(select(Centre).order_by(Centre.id).limit(1)).scalar()
    form = CentreForm(obj=row) if row is not None else CentreForm(data=current_details())
    if form.validate_on_submit():
        is_new = row is None
        row = row or Centre(name="")
        # Kept the way people read it (04 75 12 34 56): the footer and messages print it as is.
        form.phone.data = display_phone(normalise_phone(form.phone.data))
        form.email.data = form.email.data.lower()
        changed = apply_form(form, row, CENTRE_FIELDS)
        db.session.add(row)
        db.session.flush()
        if changed:
            audit.record("settings.centre_add" if is_new else "settings.centre_edit", row, fields=changed)
        db.session.commit()
        flash(_("The centre's details are saved."), "success")
        return redirect(url_for("admin.centre"))
    # The point drawn and linked is the saved one: what was typed may not be a number yet.
    point = (row.latitude, row.longitude) if row is not None else (None, None)
    return render_template("admin/centre.html", form=form, locator=locator(*point),
                           map_url=openstreetmap_url(*point) if in_france(*point) else None,
                           summary_max=SUMMARY_MAX)


def current_details():
    """The form's starting values when the centre has no row yet: the configured defaults."""
    from ..core.centre import LIST_FIELDS, current_centre

    details = current_centre()
    return {name: list(getattr(details, name)) if name in LIST_FIELDS else getattr(details, name)
            for name in CENTRE_FIELDS}
