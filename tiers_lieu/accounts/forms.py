from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from ..core.forms import BaseForm
from ..i18n import language_names
from .models import ROLE_LABELS
from .passwords import MAX_LENGTH

def staff_language_choices():
    """The staff's languages (STAFF_LANGUAGES), each named in itself."""
    return [SelectChoice(code, name, render_kw={"lang": code})
            for code, name in language_names(current_app.config["STAFF_LANGUAGES"]).items()]


def role_choices():
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])


class NewPasswordMixin:
    new_password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The two passwords are different."))],
    )


class ChangePasswordForm(NewPasswordMixin, BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])


class PreferencesForm(BaseForm):
    display_name = StringField(_l("Name shown to colleagues"), validators=[DataRequired(), Length(max=120)])
    language = SelectField(_l("Language of the interface"), choices=staff_language_choices)


class StaffForm(BaseForm):
    """A coordinator's view of a staff account."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices)
    language = SelectField(_l("Language of the interface"), choices=staff_language_choices)


class EditStaffForm(StaffForm):
    active = BooleanField(_l("Account active"))


class NewStaffForm(NewPasswordMixin, StaffForm):
    pass


class ResetPasswordForm(NewPasswordMixin, BaseForm):
    pass


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


class TwoStepCodeForm(BaseForm):
    """The second step of a login: the app's code, or one of the recovery codes."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class ConfirmTwoStepForm(BaseForm):
    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), Length(max=20)])


class CurrentPasswordForm(BaseForm):
    """A change to how the account logs in, confirmed with the password."""

    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])
