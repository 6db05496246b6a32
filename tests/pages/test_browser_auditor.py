"""The auditor's page in a real browser (Chromium through Playwright, as
tests/pages/test_browser.py): sign in from the picker as the synthetic auditor,
search the trail by child, see the records and the chain's state, open the
pilot's evaluation with its tables, charts and CSV. axe-core checks each page;
the screenshot for the README is taken here."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from playwright.sync_api import Browser

from sandbox.population import population
from tests.conftest import token_for
from tests.pages.helpers import stories
from tests.pages.test_browser import (  # noqa: F401 (the module's fixtures)
    accessible,
    browser,
    new_page,
    service,
    shot,
    sign_in_as,
)

GP = {
    "id": "gp-browser-eval",
    "role": "gp",
    "organisation": {"type": "gp_clinic", "id": "gp-behandlerhuset-dokken"},
    "health_professional": True,
}


def _lookups(base: str) -> None:
    """Decisions about a dozen children by a caseworker and a GP, so that the
    evaluation has figures resting on at least five children to publish."""
    children = list(population(datetime.now(UTC).date()).children.values())[:12]
    for subject, purpose in ((None, "social_case_work"), (GP, "treatment_preparation")):
        headers = {"Authorization": f"Bearer {token_for(subject)}"}
        for child in children:
            answer = httpx.post(
                f"{base}/v1/decisions",
                headers=headers,
                json={
                    "resource": {
                        "child_cpr": child.record.cpr,
                        "categories": ["school_daycare", "psychiatry_appointments"],
                    },
                    "context": {"purpose": purpose},
                },
                timeout=30,
            )
            assert answer.status_code == 200, answer.text


def test_the_auditor_searches_and_reads_the_evaluation(
    service: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    alma = stories()[0]
    _lookups(service)
    page = new_page(browser)
    sign_in_as(page, service, "auditor")
    assert page.url.endswith("/pages/auditor")
    assert page.locator("#chain").is_visible()
    assert page.locator(".chain-ok").count() == 1
    page.fill("#child_cpr", alma.record.cpr)
    page.click("#search-form button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("tr[data-seq]")
    assert rows.count() >= 2  # the caseworker's and the GP's decisions
    text = page.locator("section:has(#results)").inner_text()
    for parent in alma.record.custody_holders:
        assert parent not in text
    accessible(page)
    shot(page, "auditor")

    page.click("a[href^='/pages/auditor/evaluation']")
    page.wait_for_load_state()
    assert page.locator("#evaluation").is_visible()
    assert page.locator("table.figures").count() >= 3
    charts = page.locator("figure.chart img")
    assert charts.count() >= 1
    for i in range(charts.count()):  # every chart loads (a broken one is 0 wide)
        assert charts.nth(i).evaluate("img => img.naturalWidth") > 0
    csv = page.locator("a[href*='.csv']").first.get_attribute("href")
    assert csv is not None
    answer = page.request.get(f"{service}{csv}")
    assert answer.ok
    assert answer.headers["content-type"].startswith("text/csv")
    accessible(page)
    shot(page, "auditor-evaluation")
