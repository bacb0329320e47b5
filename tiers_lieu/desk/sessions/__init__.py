"""The help-session log: what was done, how long, the outcome, the needs noticed (`log`), its form and pages."""
