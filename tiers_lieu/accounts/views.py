from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.limits import limit_failures, record_failure
from ..extensions import db
from ..i18n import remember_language
from . import service
from .auth import end_session, safe_next, start_session
from .forms import ChangePasswordForm, LoginForm, PreferencesForm
from .passwords import verify_password

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limit_failures("login-account", lambda: service.normalise_email(request.form.get("email")),
                "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            record_failure()
            form.password.errors.append(_("Wrong e-mail address or password."))
        else:
            if user.must_change_password:
                target = url_for("accounts.change_password")
            else:
                target = safe_next(request.args.get("next")) or url_for("desk.index")
            start_session(user)
            # No cookie is written: a language chosen on this device (the switch, `?lang=`) stays
            # chosen, and without one the account's preference applies (i18n.select_locale).
            return redirect(target)
    elif request.method == "POST":
        record_failure()
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return remember_language(make_response(redirect(url_for("accounts.account"))),
                                 current_user.language)
    return render_template("accounts/account.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("This is not your current password."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("Choose a password different from the current one."))
        else:
            try:
                service.set_password(current_user, form.new_password.data)
            except service.AccountError as error:
                form.new_password.errors.append(str(error))
            else:
                flash(_("Your password is changed. You are logged out everywhere else."), "success")
                return redirect(url_for("desk.index"))
    return render_template("accounts/change_password.html", form=form)
