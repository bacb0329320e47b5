"""A person's rights at the desk: the screens over `privacy/rights.py`.

Staff find a person from their record or from the phone number or e-mail address they used. The
contact travels in POST bodies only, never in an address: addresses end up in logs. What is held
is shown in the person's language, ready to print, and given as a JSON file; erasing is for
coordinators, after a page that lists what will go.
"""
import json
from datetime import date, datetime

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ...audit import action_label
from ...booking.contact import display_phone
from ...core.centre import centre_today
from ...core.forms import refill_on_expired_csrf, submitted_and_valid
from ...core.inputs import id_from
from ...database import utcnow
from ...extensions import db
from ...privacy import rights
from ...privacy.forms import PersonForm, PersonSearchForm
from ..blueprint import bp
from ..models import Outcome, Resident


@bp.route("/privacy", methods=["GET", "POST"])
@refill_on_expired_csrf
def privacy_search():
    form = PersonSearchForm()
    if submitted_and_valid(form):
        phone, email = rights.contact_of(form.contact.data)
        return show(rights.find(db.session, phone=phone, email=email), contact=form.contact.data.strip())
    return render_template("desk/privacy/search.html", form=form)


@bp.route("/residents/<int:resident_id>/data")
def resident_data(resident_id):
    if db.session.get(Resident, resident_id) is None:
        abort(404)
    return show(rights.find(db.session, resident_id=resident_id), resident_id=resident_id)


def show(person, resident_id=None, contact=""):
    holdings = rights.gather(db.session, person) if person is not None else None
    if holdings is None or holdings.empty:
        return render_template("desk/privacy/nothing.html", resident_id=resident_id)
    rights.record_access(db.session, holdings, current_user)
    with force_locale(holdings.language):
        return render_template("desk/privacy/holdings.html", holdings=holdings, resident_id=resident_id,
                               contact=contact, display_phone=display_phone, outcome_label=Outcome.label_of,
                               action_label=action_label, today=centre_today())


def person_from(form):
    """The person a posted form is about, or None (nothing held, or already erased); 400 when the
    form names nobody."""
    resident_id = id_from(form.resident_id.data or "")
    phone, email = rights.contact_of(form.contact.data)
    if resident_id is None and phone is None and email is None:
        abort(400)
    if resident_id is not None:
        return rights.find(db.session, resident_id=resident_id)
    return rights.find(db.session, phone=phone, email=email)


@bp.route("/privacy/download", methods=["POST"])
def privacy_download():
    form = PersonForm()
    person = person_from(form)
    holdings = rights.gather(db.session, person) if person is not None else None
    if holdings is None or holdings.empty:
        return render_template("desk/privacy/nothing.html", resident_id=None), 404
    rights.record_access(db.session, holdings, current_user, download=True)
    with force_locale(holdings.language):
        body = json.dumps(rights.as_data(holdings), ensure_ascii=False, indent=2, default=_plain)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    # Named by the day only: a name or a number in the file name would land in download lists.
    response.headers["Content-Disposition"] = f'attachment; filename="donnees-{utcnow():%Y-%m-%d}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/privacy/erase", methods=["POST"])
def privacy_erase():
    form = PersonForm()
    person = person_from(form)
    holdings = rights.gather(db.session, person) if person is not None else None
    if holdings is None or holdings.empty:
        flash(_("Nothing is held about this person any more: their details were already erased."), "error")
        return redirect(url_for("desk.privacy_search"))
    if form.confirmed.data != "yes":
        now = utcnow()
        upcoming = [booking for booking in holdings.bookings if booking.is_expected and booking.slot.starts_at > now]
        return render_template("desk/privacy/erase.html", holdings=holdings, upcoming=upcoming,
                               resident_id=id_from(form.resident_id.data or ""), contact=form.contact.data or "")
    done = rights.erase(db.session, holdings, current_user, utcnow())
    return render_template("desk/privacy/erased.html", done=done)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)
