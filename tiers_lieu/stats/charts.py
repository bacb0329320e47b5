"""Server-side SVG charts of the statistics' tables, readable without JavaScript and in print.

A small hand-made SVG rather than a chart library: the markup stays tiny, carries no script nor
style attribute (the Content-Security-Policy forbids both inline), and every value is written as
text next to its mark, so that colour never carries meaning alone. Colours come from the
Okabe–Ito palette, which colour-blind readers tell apart. Each chart has its table next to it.
"""
from markupsafe import Markup, escape

# Okabe–Ito: blue, vermilion, bluish green, orange, sky blue, reddish purple.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7"]
# Light to dark blue, for the heat map (each cell also shows its number).
SEQUENTIAL = ["#f0f4f8", "#d0e2f2", "#a6c8e6", "#6fa7d6", "#3b82c4", "#0b5ea8", "#084081"]
WIDTH = 400


def _number(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else f"{int(value)}"
    return str(value)


def bar_chart(table, column=1, title=None):
    """Horizontal bars of one column of a table, each with its label above and its value after it."""
    rows = [(str(row[0]), row[column]) for row in table.rows]
    values = [value or 0 for _, value in rows]
    largest = max(values) or 1
    row_height, bar_height, top = 36, 14, 4
    height = top + row_height * len(rows) + 4
    label = escape(title or table.title)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="13">',
             f"<title>{label}</title>"]
    for n, ((name, value), amount) in enumerate(zip(rows, values)):
        y = top + n * row_height
        length = round((WIDTH - 60) * amount / largest, 1)
        parts.append(f'<text x="0" y="{y + 12}" fill="#1a1a1a">{escape(name)}</text>')
        parts.append(f'<rect x="0" y="{y + 17}" width="{max(length, 1)}" height="{bar_height}" '
                     f'fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{length + 6}" y="{y + 29}" fill="#1a1a1a">{escape(_number(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_chart(table):
    """A weekday × hour grid, darker when busier, each cell showing its number."""
    hours = [str(column) for column in table.columns[1:]]
    rows = table.rows
    values = [value for row in rows for value in row[1:]]
    largest = max(values, default=0) or 1
    left, top, cell_w, cell_h = 44, 20, (WIDTH - 44) / max(len(hours), 1), 26
    height = top + cell_h * len(rows) + 2
    label = escape(table.title)
    parts = [f'<svg class="chart chart-heat" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">',
             f"<title>{label}</title>"]
    for n, hour in enumerate(hours):
        parts.append(f'<text x="{left + n * cell_w + cell_w / 2:.1f}" y="13" text-anchor="middle" '
                     f'fill="#1a1a1a">{escape(hour[:2])}h</text>')
    for r, row in enumerate(rows):
        y = top + r * cell_h
        parts.append(f'<text x="0" y="{y + 17}" fill="#1a1a1a">{escape(str(row[0])[:3])}</text>')
        for n, value in enumerate(row[1:]):
            level = 0 if not value else 1 + round((len(SEQUENTIAL) - 2) * value / largest)
            fill = SEQUENTIAL[level]
            ink = "#ffffff" if level >= 4 else "#1a1a1a"
            x = left + n * cell_w
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{fill}" '
                         f'stroke="#8a8a8a" stroke-width="0.5"/>')
            parts.append(f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 16}" text-anchor="middle" '
                         f'fill="{ink}">{escape(_number(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(table, columns=(1, 2)):
    """Lines of a few columns month by month, each with its own colour, marker and name at its end."""
    months = [str(row[0]) for row in table.rows]
    series = [(str(table.columns[c]), [row[c] or 0 for row in table.rows]) for c in columns]
    largest = max((v for _, values in series for v in values), default=0) or 1
    left, top, right, bottom = 8, 24, 8, 40
    plot_w = WIDTH - left - right
    plot_h = 150
    height = top + plot_h + bottom
    step = plot_w / max(len(months) - 1, 1)
    label = escape(table.title)
    parts = [f'<svg class="chart chart-trend" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">',
             f"<title>{label}</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" stroke="#8a8a8a"/>']
    for n, month in enumerate(months):
        x = left + n * step
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="#1a1a1a">'
                     f'{escape(month[5:])}</text>')
    parts.append(f'<text x="{left}" y="{top + plot_h + 30}" fill="#1a1a1a">{escape(months[0][:4])}</text>'
                 if months else "")
    markers = ["circle", "square"]
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [(left + n * step, top + plot_h - plot_h * v / largest) for n, v in enumerate(values)]
        dash = ' stroke-dasharray="6 3"' if s % 2 else ""
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        for x, y in points:
            if markers[s % 2] == "circle":
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
            else:
                parts.append(f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>')
        legend_x = left + s * (plot_w / 2)
        parts.append(f'<text x="{legend_x + 14:.1f}" y="12" fill="#1a1a1a">{escape(name)}</text>')
        if markers[s % 2] == "circle":
            parts.append(f'<circle cx="{legend_x + 5:.1f}" cy="8" r="4" fill="{colour}"/>')
        else:
            parts.append(f'<rect x="{legend_x + 1:.1f}" y="4" width="8" height="8" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def chart_for(table):
    """The SVG of a table whose `chart` asks for one, or None."""
    if table.chart == "bar":
        return bar_chart(table)
    if table.chart == "heat":
        return heat_chart(table)
    if table.chart == "trend":
        return trend_chart(table)
    return None
