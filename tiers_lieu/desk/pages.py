"""Every page of the desk, gathered on its blueprint for the application factory.

- `reception`: the day (appointments, check-in, walk-in queue, call-back requests), and on its
  own blueprint the lobby's kiosk and waiting-room display, and the messages that did not go;
- `sessions`: the help-session log;
- `residents`: residents' files, booking on their behalf, and a person's rights (what the centre
  holds about them, erasure);
- `hours`: a facilitator's own opening hours and absences.
"""
from . import hours  # noqa: F401  (each module adds its routes to the blueprint)
from .blueprint import bp  # noqa: F401  (what the factory registers)
from .reception import lobby, messages, views as reception  # noqa: F401
from .residents import privacy_pages, views as residents  # noqa: F401
from .sessions import views as sessions  # noqa: F401

lobby_bp = lobby.bp
