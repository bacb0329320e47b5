"""Set-up pages for coordinators: staff accounts, booking rules, closures of the centre."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from .. import audit
from ..accounts import service, two_step
from ..accounts.forms import EditStaffForm, NewStaffForm, ResetPasswordForm
from ..accounts.models import User
from ..booking import opening
from ..booking.availability import DEFAULT_RULES
from ..booking.forms import BookingRulesForm, ClosureForm
from ..booking.models import BookingRules, Closure, Location
from ..core.centre import centre_today
from ..core.inputs import EARLIEST_DATE, LATEST_DATE
from ..extensions import db
from .blueprint import bp


def _get_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _show_error(form, error):
    getattr(form, error.field or "email").errors.append(str(error))


@bp.route("/")
def index():
    return render_template("admin/index.html")


@bp.route("/users")
def users():
    staff = db.session.execute(
        db.select(User).order_by(User.active.desc(), User.display_name)
    ).scalars().all()
    return render_template("admin/users.html", staff=staff)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            user = service.create_user(
                form.email.data, form.display_name.data, form.new_password.data,
                role=form.role.data, language=form.language.data, must_change_password=True,
            )
        except service.AccountError as error:
            _show_error(form, error)
        else:
            flash(_("The account of %(name)s is created. Give them their temporary password; "
                    "they will choose their own at first login.", name=user.display_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = _get_user(user_id)
    form = EditStaffForm(obj=user)
    if form.validate_on_submit():
        try:
            changed = service.update_user(
                user, actor=current_user, email=form.email.data,
                display_name=form.display_name.data, role=form.role.data,
                language=form.language.data, active=form.active.data,
            )
        except service.AccountError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            if changed:
                flash(_("The account of %(name)s is updated.", name=user.display_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user,
                           reset_form=ResetPasswordForm(prefix="reset"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id):
    user = _get_user(user_id)
    reset_form = ResetPasswordForm(prefix="reset")
    if reset_form.validate_on_submit():
        try:
            service.set_password(user, reset_form.new_password.data, by_admin=True)
        except service.AccountError as error:
            reset_form.new_password.errors.append(str(error))
        else:
            flash(_("A new temporary password is set for %(name)s. They are logged out everywhere "
                    "and will choose their own password at next login.", name=user.display_name),
                  "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=EditStaffForm(obj=user), user=user,
                           reset_form=reset_form)


@bp.route("/users/<int:user_id>/two-step-off", methods=["POST"])
def turn_off_two_step(user_id):
    """For a colleague who lost both the phone and the recovery codes."""
    user = _get_user(user_id)
    if user.id == current_user.id:
        # Without the password, a browser left logged in would undo the second step.
        flash(_("Turn your own two-step verification off from your account page: it asks for "
                "your password."), "info")
    elif user.two_step_on:
        two_step.turn_off(db.session, user)
        flash(_("Two-step verification is off for %(name)s: their password alone logs them in. "
                "They can turn it on again from their account page.", name=user.display_name),
              "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/rules", methods=["GET", "POST"])
def booking_rules_page():
    rules = db.session.execute(db.select(BookingRules).limit(1)).scalar() or BookingRules(**DEFAULT_RULES)
    form = BookingRulesForm(obj=rules)
    if form.validate_on_submit():
        changed = sorted(name for name in DEFAULT_RULES if getattr(rules, name) != getattr(form, name).data)
        if changed:  # the defaults are not written down until one of them changes
            form.populate_obj(rules)
            db.session.add(rules)
            db.session.flush()
            audit.record("settings.booking_rules", rules, fields=changed)
        if "horizon_weeks" in changed:
            say_resynced(_("The booking rules are saved."), opening.resync(db.session))
        else:
            db.session.commit()
            flash(_("The booking rules are saved."), "success")
        return redirect(url_for("admin.booking_rules_page"))
    return render_template("admin/rules.html", form=form)


def say_resynced(done, resync):
    """Say the change is saved, and which booked slots it left for someone to call."""
    flash(done, "success")
    if resync.kept_booked:
        flash(ngettext("%(num)d booked slot is no longer offered: call its residents (see the desk).",
                       "%(num)d booked slots are no longer offered: call their residents (see the desk).",
                       len(resync.kept_booked)), "error")


@bp.route("/closures", methods=["GET", "POST"])
def closures():
    form = ClosureForm()
    locations = db.session.execute(db.select(Location).where(Location.active.is_(True))
                                   .order_by(Location.position)).scalars().all()
    form.location.choices = [SelectChoice(0, _("The whole centre"))] + [
        SelectChoice(location.id, location.name) for location in locations]
    if form.validate_on_submit():
        resync = opening.add_closure(db.session, form.start_date.data, form.end_date.data, form.reason.data,
                                     location_id=form.location.data or None)
        say_resynced(_("The closure is saved; its free slots are no longer offered."), resync)
        return redirect(url_for("admin.closures"))
    return render_template("admin/closures.html", form=form, closures=opening.upcoming_closures(db.session),
                           year=centre_today().year)


@bp.route("/closures/holidays", methods=["POST"])
def add_holidays():
    try:
        year = int(request.form.get("year", ""))
    except ValueError:
        abort(400)
    if not EARLIEST_DATE.year <= year <= LATEST_DATE.year:
        abort(400)
    created, resync = opening.add_public_holidays(db.session, year)
    say_resynced(ngettext("%(num)d public holiday added.", "%(num)d public holidays added.", len(created)), resync)
    return redirect(url_for("admin.closures"))


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
def delete_closure(closure_id):
    closure = db.session.get(Closure, closure_id) or abort(404)
    say_resynced(_("The closure is removed; its slots are offered again."), opening.remove_closure(db.session, closure))
    return redirect(url_for("admin.closures"))
