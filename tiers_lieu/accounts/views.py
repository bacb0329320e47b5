import hashlib

from flask import (Blueprint, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user

from ..core.limits import guess_key, limit_failures, record_failure
from ..extensions import db, limiter
from ..i18n import remember_language
from . import recovery, service, two_step
from .auth import end_session, held_login, hold_login, safe_next, start_session
from .forms import (ChangePasswordForm, ConfirmTwoStepForm, CurrentPasswordForm, ForgotPasswordForm,
                    LoginForm, PreferencesForm, ResetPasswordForm, TwoStepCodeForm)
from .passwords import verify_password

bp = Blueprint("accounts", __name__)


def after_login(user):
    """Where a login that just succeeded leads: the password to change, or the page asked for."""
    if user.must_change_password:
        return url_for("accounts.change_password")
    return safe_next(request.args.get("next")) or url_for("desk.index")


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
        elif user.two_step_on:
            hold_login(user)
            return redirect(url_for("accounts.login_two_step", next=safe_next(request.args.get("next"))))
        else:
            target = after_login(user)
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


def held_login_email():
    user = held_login()
    return user.email if user is not None else "?"


def counted_with_logins(view):
    """Count the view's failed POSTs in the login page's own counters (core/limits.py): the same
    keys in the same scope, "accounts.login", so that passwords and codes guessed in turn share
    one allowance per account and per address, and a right code is given back like a right
    password."""
    config = lambda name: lambda: current_app.config[name]  # noqa: E731
    view = limiter.shared_limit(config("LOGIN_FAILURES_PER_ADDRESS"), scope="accounts.login",
                                methods=["POST"])(view)
    view = limiter.shared_limit(config("LOGIN_FAILURES_PER_ACCOUNT"), scope="accounts.login",
                                key_func=lambda: guess_key("login-account", held_login_email()),
                                methods=["POST"])(view)
    view.limits_failures_only = True
    return view


@bp.route("/login/two-step", methods=["GET", "POST"])
@counted_with_logins
def login_two_step():
    if current_user.is_authenticated:
        return redirect(url_for("desk.index"))
    user = held_login()
    if user is None:
        flash(_("Enter your e-mail address and password again: the code must follow them within "
                "5 minutes."), "info")
        return redirect(url_for("accounts.login", next=safe_next(request.args.get("next"))))
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        passed = two_step.check_login_code(db.session, user, form.code.data)
        if passed is None:
            record_failure()
            form.code.errors.append(_("This code is not right, or it was used already. Type the "
                                      "code the app shows now, or one of your recovery codes."))
        else:
            target = after_login(user)
            start_session(user)
            if passed == two_step.Passed.RECOVERY_CODE:
                left = two_step.recovery_codes_left(db.session, user)
                flash(ngettext("You used a recovery code: %(num)d is left. Make new ones from "
                               "your account page if you no longer have the app.",
                               "You used a recovery code: %(num)d are left. Make new ones from "
                               "your account page if you no longer have the app.", left), "info")
            return redirect(target)
    elif request.method == "POST":
        record_failure()
    return render_template("accounts/login_two_step.html", form=form)


# --- a forgotten password ----------------------------------------------------------------------

def reset_request_key():
    """The address asked for, hashed: counters and the rate limiter's log lines name no one."""
    email = service.normalise_email(request.form.get("email"))
    return "password-reset:" + hashlib.sha256(email.encode()).hexdigest()[:32]


@limiter.limit(lambda: current_app.config["PASSWORD_RESETS_PER_ADDRESS"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESETS_PER_ACCOUNT"], key_func=reset_request_key)
def count_reset_request():
    """Count a request for a link in both limits, or raise RateLimitExceeded.

    Called from inside the view rather than decorating it, so that the refusal is this page
    saying why and for how long, not the general 429 page ("wait a minute").
    """


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    page = lambda **state: render_template("accounts/forgot_password.html", form=form,  # noqa: E731
                                           minutes=recovery.link_minutes(), **state)
    if form.validate_on_submit():
        try:
            count_reset_request()
        except RateLimitExceeded:
            return page(refused=True), 429
        recovery.send_link(db.session, form.email.data)
        return page(sent=True)
    return page()


# Expired, used or replaced: the link existed and is gone for good (410); never sent: 404.
DEAD_LINK_STATUS = {recovery.LinkState.EXPIRED: 410, recovery.LinkState.SPENT: 410,
                    recovery.LinkState.UNKNOWN: 404}


def dead_link(state):
    page = render_template("accounts/reset_link_dead.html", state=state.value,
                           form=ForgotPasswordForm(formdata=None),
                           minutes=recovery.link_minutes())
    return page, DEAD_LINK_STATUS[state]


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    state, reset = recovery.find_link(db.session, token)
    if state is not recovery.LinkState.USABLE:
        return dead_link(state)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            used = recovery.use_link(db.session, reset, form.new_password.data)
        except service.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            if not used:
                return dead_link(recovery.LinkState.SPENT)
            # This browser starts afresh too, whoever was logged in on it.
            end_session()
            flash(_("Your new password is saved, and your account is logged out everywhere. "
                    "Log in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=reset.user)


# --- two-step verification, on the staff member's own account ------------------------------

def show_recovery_codes(codes, turned_on):
    return render_template("accounts/recovery_codes.html", codes=codes, turned_on=turned_on)


def two_step_settings(off_form=None, codes_form=None):
    user = current_user._get_current_object()
    return render_template("accounts/two_step.html", user=user,
                           codes_left=two_step.recovery_codes_left(db.session, user),
                           off_form=off_form or CurrentPasswordForm(prefix="off"),
                           codes_form=codes_form or CurrentPasswordForm(prefix="codes"))


@bp.route("/account/two-step", methods=["GET", "POST"])
def two_step_page():
    user = current_user._get_current_object()
    if user.two_step_on:
        return two_step_settings()
    secret = two_step.pending_secret(user)
    form = ConfirmTwoStepForm()
    if form.validate_on_submit():
        codes = two_step.turn_on(db.session, user, secret, form.code.data)
        if codes is not None:
            return show_recovery_codes(codes, turned_on=True)
        form.code.errors.append(_("This is not the code the app shows now. Check that the phone "
                                  "is on time, then type the code it shows."))
    uri = two_step.provisioning_uri(user, secret)
    return render_template("accounts/two_step_setup.html", form=form, qr_code=two_step.qr_code(uri),
                           uri=uri, secret=two_step.grouped(secret))


def password_confirmed(form):
    if not form.validate_on_submit():
        return False
    if verify_password(current_user.password_hash, form.current_password.data):
        return True
    form.current_password.errors.append(_("This is not your current password."))
    return False


@bp.route("/account/two-step/off", methods=["POST"])
def two_step_off():
    user = current_user._get_current_object()
    if not user.two_step_on:
        return redirect(url_for("accounts.two_step_page"))
    form = CurrentPasswordForm(prefix="off")
    if password_confirmed(form):
        two_step.turn_off(db.session, user)
        flash(_("Two-step verification is off: your password alone logs you in."), "success")
        return redirect(url_for("accounts.account"))
    return two_step_settings(off_form=form)


@bp.route("/account/two-step/codes", methods=["POST"])
def two_step_codes():
    user = current_user._get_current_object()
    if not user.two_step_on:
        return redirect(url_for("accounts.two_step_page"))
    form = CurrentPasswordForm(prefix="codes")
    if password_confirmed(form):
        return show_recovery_codes(two_step.new_recovery_codes(db.session, user), turned_on=False)
    return two_step_settings(codes_form=form)
