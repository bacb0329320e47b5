"""Rules about settings that both refuse a production start (`tiers_lieu.check_configuration`)
and fail `flask check` (`ops/check.py`): written once, read by both."""
from email.utils import parseaddr

# Domains reserved for examples (RFC 2606): no mail arrives there, and none is accepted from them.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")


def counts_per_process(storage_uri):
    """Whether a rate-limit storage keeps its counters in each process's memory (memory://, or
    none given), rather than where every worker and host sees them (Redis, Memcached, MongoDB)."""
    return (storage_uri or "").split("://", 1)[0] in {"", "memory", "async+memory"}


def is_example_address(address):
    """Whether an e-mail address (or "Name <address>") is unset or at an example domain."""
    domain = parseaddr(address or "")[1].rpartition("@")[2].lower()
    return not domain or any(domain == example or domain.endswith("." + example) for example in EXAMPLE_DOMAINS)
