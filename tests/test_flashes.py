"""A message for the next page is said once, however often it was flashed before being shown."""
from flask import flash, get_flashed_messages, session


def test_a_message_flashed_twice_waits_once(app):
    with app.test_request_context("/"):
        flash("Saved.", "success")
        flash("Saved.", "success")
        flash("Not sent.", "error")
        flash("Saved.", "info")
        app.process_response(app.response_class())
        assert [tuple(item) for item in session["_flashes"]] == [
            ("success", "Saved."), ("error", "Not sent."), ("info", "Saved.")]
        assert get_flashed_messages() == ["Saved.", "Not sent.", "Saved."]

