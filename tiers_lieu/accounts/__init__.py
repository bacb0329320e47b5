"""Staff accounts, roles, login and the server-side list of staff sessions."""
