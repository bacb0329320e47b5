"""The reception desk: the day, the walk-in queue, the help-session log, residents' files.

Its models (`models`) are the help sessions, residents, queue tickets and the lists of needs and
referrals; the pages are gathered in `pages`.
"""
