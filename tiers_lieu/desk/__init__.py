"""The reception desk: the day's agenda, walk-ins, help-session logs (facilitators)."""
