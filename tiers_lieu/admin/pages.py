"""Every set-up page, gathered on the /admin blueprint for the application factory.

- `views`: staff accounts, booking rules, closures;
- `setup`: the centre, topics, procedures, places, lists of needs and referrals;
- `hours`: everyone's opening hours and absences;
- `audit_log`: who changed what;
- `messages`: every message to residents and staff, and what became of it;
- `privacy`, `processing`: the retention of personal data, and the record of processing;
- `open_data`: what the national open-data files publish, and what they leave out.
"""
from . import audit_log, hours, messages, open_data, privacy, processing, setup, views  # noqa: F401  (each module adds its routes to the blueprint)
from .blueprint import bp  # noqa: F401  (what the factory registers)
