"""Which topics residents and staff may choose: the one place that asks for the active topics."""
from sqlalchemy import select

from .models import Topic


def active_topics(session, keep=()):
    """The active topics in the coordinator's order; with `keep` (topics or their ids), those
    too though deactivated, so that a form editing a past choice still shows it."""
    keep_ids = [getattr(topic, "id", topic) for topic in keep]
    chosen = Topic.active.is_(True)
    if keep_ids:
        chosen = chosen | Topic.id.in_(keep_ids)
    return session.execute(select(Topic).where(chosen).order_by(Topic.position, Topic.id)).scalars().all()


def active_topic(session, slug):
    """The active topic of this slug (its public address), or None."""
    return session.execute(
        select(Topic).where(Topic.slug == slug, Topic.active.is_(True))
    ).scalar_one_or_none()
