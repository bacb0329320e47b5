"""Residents' contact details: phone numbers normalised with `phonenumbers`, e-mails lowercased."""
import phonenumbers

DEFAULT_REGION = "FR"


def normalise_phone(raw, region=DEFAULT_REGION):
    """Return the number in E.164 form (+33612345678), or None when it is not a valid number."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164):
    """Write a stored number the way people read it: 06 12 34 56 78, or +44 20 7946 0958."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw):
    return (raw or "").strip().lower() or None
