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


# Numbers that cannot receive a text message: landlines, French 09 "box" numbers (VoIP), service
# numbers. A mobile, or a foreign number that may be either (FIXED_LINE_OR_MOBILE), can.
NO_TEXT_MESSAGES = frozenset({
    phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST, phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.VOICEMAIL,
})


def receives_text_messages(e164):
    """Whether a valid number (E.164) can receive the SMS that confirm and remind a booking."""
    return phonenumbers.number_type(phonenumbers.parse(e164, None)) not in NO_TEXT_MESSAGES


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
