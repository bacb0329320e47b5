"""Which topics residents and staff may choose: the one place that asks for the active topics."""
from sqlalchemy import select

from .models import Topic, TopicLabel


def _active(*columns, keep_ids=()):
    chosen = Topic.active.is_(True)
    if keep_ids:
        chosen = chosen | Topic.id.in_(keep_ids)
    return select(*columns).where(chosen).order_by(Topic.position, Topic.id)


def active_topics(session, keep=()):
    """The active topics in the coordinator's order; with `keep` (topics or their ids), those
    too though deactivated, so that a form editing a past choice still shows it."""
    keep_ids = [getattr(topic, "id", topic) for topic in keep]
    return session.execute(_active(Topic, keep_ids=keep_ids)).scalars().all()


def active_topic_labels(session):
    """The active topics' names alone, in the coordinator's order: a form's choices on a page
    shown often (the desk's walk-in form)."""
    return [TopicLabel(*row) for row in session.execute(_active(Topic.id, Topic.name_fr, Topic.name_en))]


def active_topic(session, slug):
    """The active topic of this slug (its public address), or None."""
    return session.execute(
        select(Topic).where(Topic.slug == slug, Topic.active.is_(True))
    ).scalar_one_or_none()
