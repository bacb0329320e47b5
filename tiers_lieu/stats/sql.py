"""SQL the statistics write for both databases: the dialect's date arithmetic, constants, percentiles.

SQLite keeps dates and times as text and PostgreSQL as typed values: each helper here takes the
dialect's name and gives the expression that means the same on both.
"""
import math
from datetime import datetime, time, timedelta

from sqlalchemy import BigInteger, Integer, and_, cast, func, literal, or_, select


def const(value):
    """A constant written into the SQL rather than bound. PostgreSQL matches a grouped expression
    with the same expression in the select list only when their constants are the same text, and
    SQLite compares a column with a bound parameter inside CASE about eight times slower."""
    return literal(value, literal_execute=True)


def hour_of(dialect, clock):
    """9 for a session started at 9:30 (SQLite keeps times as "09:30:00" text)."""
    if dialect == "postgresql":
        return cast(func.extract("hour", clock), Integer)
    return cast(func.substr(clock, const(1), const(2)), Integer)


def dialect_of(session):
    return session.get_bind().dialect.name


def seconds_between(dialect, start, end):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def weekday_of(dialect, day):
    """0 = Monday … 6 = Sunday, of a date column."""
    if dialect == "postgresql":
        return cast(func.extract("isodow", day), Integer) - 1
    return (cast(func.strftime("%w", day), Integer) + 6) % 7


def month_of_day(dialect, day):
    if dialect == "postgresql":
        return func.to_char(day, "YYYY-MM")
    # SQLite keeps dates as ISO text: the first seven characters are the month, read without
    # parsing the date as strftime would (a third of a trend query's time).
    return func.substr(day, const(1), const(7))


def month_of_instant(dialect, instant, tz):
    """The local month of a UTC instant (on SQLite the UTC month: the centre never opens at midnight)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(tz), instant), "YYYY-MM")
    return func.substr(instant, const(1), const(7))


def day_number(dialect, day):
    """An integer that orders dates like the dates themselves: 20261201 for 1 December 2026."""
    if dialect == "postgresql":
        return cast(func.to_char(day, "YYYYMMDD"), BigInteger)
    return cast(func.replace(day, const("-"), const("")), BigInteger)


def instant_bounds(start, end, tz):
    """The UTC instants of a local date range's first moment and of the moment after its last day."""
    first = datetime.combine(start, time(0), tz)
    after = datetime.combine(end + timedelta(days=1), time(0), tz)
    return first, after


def percentiles(session, values, ks=(50, 90)):
    """{k: the k-th percentile (linear interpolation)} of a one-column select, reading ≤ 2·len(ks) rows.

    `values` is a select of one labelled column "v" (None values are left out). Returns
    ({k: value or None}, number of values).
    """
    inner = values.subquery()
    ranked = select(inner.c.v, func.row_number().over(order_by=inner.c.v).label("rn"),
                    func.count().over().label("n")).where(inner.c.v.isnot(None)).subquery()
    # rn − 1 lies between floor and ceil of k·(n − 1)/100: integer comparisons work the same everywhere.
    near = [and_(100 * (ranked.c.rn - 2) < k * (ranked.c.n - 1), k * (ranked.c.n - 1) < 100 * ranked.c.rn)
            for k in ks]
    rows = session.execute(select(ranked.c.v, ranked.c.rn, ranked.c.n).where(or_(*near))).all()
    if not rows:
        return {k: None for k in ks}, 0
    count = rows[0].n
    by_rank = {row.rn: float(row.v) for row in rows}
    result = {}
    for k in ks:
        position = k * (count - 1) / 100
        low = math.floor(position)
        low_value, high_value = by_rank[low + 1], by_rank.get(low + 2, by_rank[low + 1])
        result[k] = low_value + (high_value - low_value) * (position - low)
    return result, count
