"""Checks shared by the browser tests: axe-core on WCAG 2.1 A/AA, and reflow at 200 % zoom."""
from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

# 200 % zoom on a 360 px wide phone leaves 180 CSS pixels for the layout.
ZOOMED_PHONE = {"width": 180, "height": 740}


def assert_accessible(page):
    # A click that submits a form may still be navigating: check the page that arrives.
    page.wait_for_load_state("load")
    result = Axe().run(page, options=WCAG_21_AA)
    assert result.violations_count == 0, f"{page.url}\n{result.generate_report()}"


def horizontal_overflow(page):
    """How many CSS pixels the page scrolls sideways (0 or less: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(element => element.getBoundingClientRect().right > document.documentElement.clientWidth)
  .slice(-3).map(element => element.outerHTML.slice(0, 160))"""


def assert_fits_when_zoomed(page):
    """The page, as it is now, fits a 360 px phone at 200 % zoom without scrolling sideways."""
    size = page.viewport_size
    page.set_viewport_size(ZOOMED_PHONE)
    try:
        overflow = horizontal_overflow(page)
        culprits = page.evaluate(WIDEST) if overflow > 0 else []
    finally:
        page.set_viewport_size(size)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at 180 CSS px wide: {culprits}"
