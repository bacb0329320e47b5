"""Which channels this centre sends messages by: the one rule that the forms, the outbox and the
waiting list ask, so that no text message is offered to a resident, nor queued, once the centre has
switched them off (`SMS_PROVIDER=none`: no gateway, or no budget for one)."""


def sms_enabled(config):
    """Whether this centre sends text messages at all (any SMS_PROVIDER but `none`)."""
    return config.get("SMS_PROVIDER") != "none"
