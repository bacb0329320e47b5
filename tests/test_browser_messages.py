"""The messages pages and the jobs' warning in a real browser, in French and English: no axe-core
violation; a failed text message handled from the desk's panel with the keyboard."""
from datetime import timedelta

import pytest

from tiers_lieu.accounts.models import Role
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.notify.models import MessageStatus, OutboxMessage
from tiers_lieu.ops.jobs import JOBS, record

from .browser_helpers import assert_accessible, assert_fits_when_zoomed
from .test_browser_foundation import log_in_with_keyboard
from .test_message_board import failed_sms, failing_gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

TEXT = {
    "fr": {"title": "Messages", "failed": "En échec", "handled": "Marquer le message comme traité",
           "panel": "Messages non partis", "done": "Le message est marqué comme traité.",
           "late": "Les messages aux habitants (confirmations, rappels) ne partent plus.",
           "row": "Non distribué : Confirmation (SMS)."},
    "en": {"title": "Messages", "failed": "Failed", "handled": "Mark the message as handled",
           "panel": "Messages that did not go", "done": "The message is marked as handled.",
           "late": "Messages to residents (confirmations, reminders) are not going out.",
           "row": "Not delivered: Confirmation (Text message)."},
}


def jobs_ran(minutes_ago):
    at = utcnow() - timedelta(minutes=minutes_ago)
    for job in JOBS:
        record(db.session, job.name, last_started_at=at, last_success_at=at, last_counts={})


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_admin_messages_page_is_accessible(live_server, new_page, make_user, failed_sms, viewport, lang):
    text = TEXT[lang]
    coordinator = make_user(role=Role.COORDINATOR)
    jobs_ran(minutes_ago=30)  # notify send stopped 30 minutes ago
    page = new_page(viewport)
    log_in_with_keyboard(page, live_server, coordinator.email)
    page.goto(f"{live_server}/admin/messages?lang={lang}")
    assert page.get_by_role("heading", level=1).inner_text() == text["title"]
    assert text["late"] in page.inner_text("main")
    assert page.locator(f"#message-{failed_sms[0]}").get_by_text(text["failed"]).count() == 1
    assert_accessible(page)
    page.goto(f"{live_server}/admin/messages?lang={lang}&state=failed&days=30")
    assert_accessible(page)
    if viewport == "phone":
        assert_fits_when_zoomed(page)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_facilitator_handles_a_failed_message_from_the_desk_with_the_keyboard(
        live_server, new_page, make_user, failed_sms, lang):
    text = TEXT[lang]
    message_id, slot = failed_sms
    facilitator = make_user(role=Role.FACILITATOR)
    jobs_ran(minutes_ago=1)
    page = new_page("desktop")
    log_in_with_keyboard(page, live_server, facilitator.email)
    page.goto(f"{live_server}/desk/?lang={lang}&day={slot.starts_at.date().isoformat()}")
    assert text["row"] in page.inner_text("#desk-day")
    assert text["late"] not in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("link", name=text["panel"]).first.click()
    page.wait_for_url(f"{live_server}/desk/messages")
    assert_accessible(page)
    page.get_by_role("button", name=text["handled"]).focus()
    page.keyboard.press("Enter")
    page.locator(".flash").wait_for()
    assert text["done"] in page.inner_text("main")
    assert page.locator(f"#message-{message_id}").count() == 0
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message_id).handled_by_id == facilitator.id
    assert db.session.get(OutboxMessage, message_id).status == MessageStatus.FAILED.value
