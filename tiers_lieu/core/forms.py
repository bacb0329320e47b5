"""The app's forms: cleaned input, and forgiving of a form left open too long."""
from functools import lru_cache

from babel import support
from flask import g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.i18n import messages_path

from .inputs import bounds_for, without_control_characters

EXPIRED_MESSAGE = _l("This page was open for a long time, so for your safety we need you to send "
                     "the form again. Everything you typed is still there: check it and send it.")


def refill_on_expired_csrf(view):
    """Mark a form view: when its CSRF token is refused, show the form again with what was typed.

    The view is dispatched as usual, after the access check (`accounts.access.guard`), and its
    form does not validate, so nothing is written; the page is answered with status 400.
    """
    view.refill_on_expired_csrf = True
    return view


def refills_form(view):
    return getattr(view, "refill_on_expired_csrf", False)


# The header's language switch, over a form a resident types into, is a row of submit buttons of
# that form (base.html, `switch_form`): the form comes back in the other language with everything
# typed, where a link would have lost it. The button's value is the language it leaves.
LANGUAGE_SWITCH = "switch_language"


def is_language_switch():
    return request.method == "POST" and LANGUAGE_SWITCH in request.form


def switching_language(form):
    """Whether this POST only asks for the form again in another language: nothing is validated
    or saved. The messages' language follows the page's unless the resident had chosen another."""
    if not is_language_switch():
        return False
    language = getattr(form, "language", None)
    if language is not None and language.data == request.form[LANGUAGE_SWITCH]:
        language.data = str(get_locale())
    return True


def submitted_and_valid(form):
    """validate_on_submit, except that a form whose token was refused is shown again kindly, and
    that a language switch shows it again, unjudged, in the other language."""
    if switching_language(form):
        return False
    if g.get("csrf_refused"):
        form.validate()
        form.csrf_token.errors = []
        form.form_errors.append(EXPIRED_MESSAGE)
        return False
    return form.validate_on_submit()


def stripped(value):
    return value.strip() if isinstance(value, str) else value


@lru_cache(maxsize=8)
def wtforms_messages(locale):
    """WTForms' own messages ("This field is required.") in a language, read once per process."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class BaseForm(FlaskForm):
    """Every form of the app: typed text is cleaned of control characters and, except passwords,
    of surrounding spaces before validation (so a name of spaces counts as empty); dates and
    numbers are held within what the centre and the database can use (core/inputs.py)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            cleaning = (without_control_characters,)
            if not issubclass(unbound_field.field_class, PasswordField):
                cleaning += (stripped,)
            options["filters"] = (*cleaning, *options.get("filters", ()))
            field = unbound_field.bind(form=form, **options)
            # Dates within the centre's calendar, whole numbers within the database's range.
            field.validators = [*field.validators, *bounds_for(field)]
            return field

        def get_translations(self, form):
            # Flask-WTF would load the catalogue again on every request.
            return wtforms_messages(str(get_locale()))


def error_count(form):
    """How many messages the form shows: every field's, and the form's own."""
    return sum(len(errors) for errors in form.errors.values())


def count_form_errors(sender, template, context, **extra):
    """Give every page the number of errors its forms show, for the title to say so first: a
    screen-reader user hears the page's title before anything else (DSFR, RGAA criterion 11.10).
    Connected to `before_render_template`, so it sees the forms a view passes, whatever their name,
    and errors a view added after validating (a wrong password)."""
    context["form_error_count"] = sum(
        error_count(value) for value in context.values() if isinstance(value, FlaskForm))
