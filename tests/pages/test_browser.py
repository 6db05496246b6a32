"""The pages in a real browser: Playwright for Python drives Debian's Chromium
(/usr/bin/chromium) against the development service on a loopback port.

Each page's main path, the override dialog, a message to a contact point, and a
family withdrawing a consent with the professional's overview changing on reload.
axe-core (bundled by axe-playwright-python) checks every page: no serious or
critical violation. The screenshots in docs/screenshots/ are taken here.

Without Chromium the tests skip, except under CI=true, where they must run."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from api.settings import Settings
from pages.i18n import Words
from policy.persons import label
from sandbox.app import create_app
from tests.conftest import IN_CI, signing_key_file, token_for
from tests.pages.helpers import stories

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    if IN_CI:
        raise RuntimeError("CI=true but Chromium is missing: .ci/run installs it (apt-get)")
    pytest.skip("Chromium is not installed (CI installs it)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The development service (sandbox sources, seeded registry) on a loopback port."""
    settings = Settings(
        environment="test",
        var_dir=tmp_path_factory.mktemp("pages-var"),
        dev_key_file=signing_key_file(),
        decision_timeout_s=20.0,
    )
    yield from _serve(settings)


@pytest.fixture(scope="module")
def oidc_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The development service signing in as production does, through an identity
    provider: the sandbox's (HOI_SANDBOX_IDP), at 127.0.0.1 on the sandbox's port."""
    settings = Settings(
        environment="test",
        var_dir=tmp_path_factory.mktemp("pages-oidc-var"),
        dev_key_file=signing_key_file(),
        decision_timeout_s=20.0,
        sandbox_idp=True,
    )
    yield from _serve(settings)


def _serve(settings: Settings) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="da-DK")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.csp_errors = errors  # type: ignore[attr-defined]
    return page


def accessible(page: Page) -> None:
    """axe-core: no serious or critical violation on the page as shown."""
    results: Any = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"
    assert page.csp_errors == []  # type: ignore[attr-defined]


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in_as(page: Page, service: str, key: str) -> None:
    page.goto(f"{service}/pages/sign-in")
    page.locator(f"form:has(input[name=person][value={key}]) button").click()
    page.wait_for_load_state()


def section(page: Page, heading_id: str) -> str:
    return page.locator(f"section:has(#{heading_id})").inner_text()


def test_the_sign_in_page(service: str, browser: Browser) -> None:
    page = new_page(browser)
    page.goto(f"{service}/pages/sign-in")
    assert page.locator("html").get_attribute("lang") == "da"
    accessible(page)
    shot(page, "sign-in")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Sign in").is_visible()
    accessible(page)


def test_the_professional_overview(service: str, browser: Browser) -> None:
    alma = stories()[0]
    page = new_page(browser)
    sign_in_as(page, service, "caseworker")  # lands on Alma's overview
    assert alma.record.cpr in page.url
    assert "Aftaler i børne- og ungdomspsykiatrien" in section(page, "cat-psychiatry_appointments")
    withheld = section(page, "held-school_daycare")
    assert "intet lovgrundlag" in withheld.lower()
    assert page.get_by_role("heading", name="Kilder og aktualitet").is_visible()
    accessible(page)
    shot(page, "overview-caseworker")
    # the search form leads to the same page
    page.goto(f"{service}/pages/professional")
    accessible(page)
    page.get_by_label("Barnets CPR-nummer").fill(alma.record.cpr)
    page.get_by_role("button", name="Vis overblik").click()
    assert page.get_by_role("heading", name=f"Overblik over barnet {alma.record.cpr}").is_visible()


def test_the_override_dialog(service: str, browser: Browser) -> None:
    page = new_page(browser)
    sign_in_as(page, service, "psychiatrist")  # the family blocked this department
    assert "Intet er tilladt at vise." in page.inner_text("main")
    page.get_by_role("link", name="Tilsidesæt spærringen").first.click()
    assert page.get_by_text("Familien vil kunne se i sin log").is_visible()
    accessible(page)
    shot(page, "override-dialog")
    page.get_by_label("Begrundelse").fill("Akut forværring; familien kan ikke nås i nat.")
    page.get_by_label("Jeg forstår, at familien ser dette").check()
    page.get_by_role("button", name="Tilsidesæt og vis").click()
    assert page.get_by_text("Spærringen er tilsidesat (værdispring)").is_visible()
    assert "vist ved værdispring" in section(page, "cat-psychiatry_appointments")
    accessible(page)
    shot(page, "overview-override")


def test_a_message_from_a_contact_point(service: str, browser: Browser) -> None:
    child = stories()[3]  # the GP's story: municipal data on a Forvaltningsloven § 28 consent
    page = new_page(browser)
    sign_in_as(page, service, "gp")
    contacts = page.locator("section:has(#cat-municipal_contacts)")
    contacts.get_by_role("link", name="Skriv en besked").first.click()
    accessible(page)

    def send() -> str:
        page.get_by_label("Overskrift").fill("Søvn og skole")
        page.get_by_label("Tekst").fill("Barnet var her i dag; kort notat.")
        page.get_by_role("button", name="Send").click()
        return page.locator(".notice").inner_text()

    # A GP passes health information to the municipality only with a written § 43
    # consent, which this family has not given: the refusal says whose is missing.
    refused = send()
    assert "Beskeden blev ikke sendt" in refused
    assert "samtykke" in refused
    accessible(page)
    shot(page, "message-refused")
    # Both parents consent with their own logins (the API), and the same message leaves.
    municipality = child.record.municipality
    for parent in child.record.custody_holders:
        token = token_for({"id": "parent", "role": "citizen"}, cpr=parent)
        answer = httpx.post(
            f"{service}/v1/children/{child.record.cpr}/consents",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "regime": "sul-43-1",
                "categories": ["psychiatry_contacts"],
                "recipient": {"organisation_id": f"{municipality}-family"},
                "form": "written",
                "given_on": datetime.now(UTC).date().isoformat(),
            },
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    assert "Beskeden er afsendt" in send()
    accessible(page)
    shot(page, "message-sent")


def test_a_family_withdraws_a_consent_and_the_overview_changes(
    service: str, browser: Browser
) -> None:
    alma = stories()[0]
    professional = new_page(browser)
    sign_in_as(professional, service, "caseworker")
    assert "Aftaler i børne- og ungdomspsykiatrien" in professional.inner_text("#permitted ~ *")

    family = new_page(browser)
    first = alma.record.custody_holders[0]
    sign_in_as(family, service, "alma-parent-1")  # the first custody holder
    assert family.get_by_role("heading", name="Hvem har set oplysninger om barnet").is_visible()
    assert "Sagsbehandler" in section(family, "log")  # the caseworker's lookup, by role
    accessible(family)
    shot(family, "family")
    family.locator("section:has(#consents) form button").first.click()
    done = family.get_by_role("status").inner_text()
    assert "Samtykket er trukket tilbage" in done
    assert "Børne- og familieafdelingen" in done or "851-family" in done
    accessible(family)
    shot(family, "family-withdrawn")

    professional.reload()
    held = section(professional, "held-psychiatry_appointments")
    assert "Der mangler samtykke fra" in held
    assert Words("da").of("person", label(alma.record, first)) in held
    assert first not in professional.content()  # by role, never by number


def test_the_family_page_in_english(service: str, browser: Browser) -> None:
    page = new_page(browser)
    sign_in_as(page, service, "young-person")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Who looked at the child's data").is_visible()
    accessible(page)


def test_the_what_if_bench(service: str, browser: Browser, tmp_path: Path) -> None:
    """A caseworker with an open case, one custody holder and her § 43 consent: a
    permit with its rule and a handbook link; the consent taken away: a deny that
    says the consent is missing; the situation saved as a scenario file."""
    page = new_page(browser)
    page.goto(f"{service}/pages/whatif")  # public: no sign-in
    assert page.get_by_role("heading", name="Hvad nu hvis: prøv en situation").is_visible()
    accessible(page)
    assert page.get_by_label("Rolle").input_value() == "municipal_caseworker"
    page.get_by_label("Formål").select_option("social_case_work")
    page.get_by_label("Givet af 1", exact=True).select_option("mother")
    page.get_by_label("Hjemmel 1", exact=True).select_option("sul-43-1")
    page.get_by_label("Kategori 1", exact=True).select_option("psychiatry_appointments")
    page.get_by_label("Modtager 1", exact=True).select_option("851-family")
    page.get_by_role("button", name="Vis afgørelsen").click()
    result = page.locator("#result-psychiatry_appointments")
    assert result.locator("[data-decision=permit]").is_visible()
    rule = result.get_by_role("link", name="SUL-43-1-CONSENT").first
    assert rule.get_attribute("href") == "/policy/rules.html#SUL-43-1-CONSENT"
    accessible(page)
    shot(page, "whatif-permit")
    page.get_by_label("Givet af 1", exact=True).select_option("")
    page.get_by_role("button", name="Vis afgørelsen").click()
    result = page.locator("#result-psychiatry_appointments")
    assert result.locator("[data-decision=deny]").is_visible()
    assert "missing_consent" in result.inner_text()
    accessible(page)
    page.get_by_label("Givet af 1", exact=True).select_option("mother")
    with page.expect_download() as download:
        page.get_by_role("button", name="Gem som scenarie (YAML)").click()
    saved = tmp_path / "whatif.yaml"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "regime: sul-43-1" in text
    assert "rule_id: SUL-43-1-CONSENT" in text


def test_a_professional_signs_in_through_the_identity_provider(
    oidc_service: str, browser: Browser
) -> None:
    """The button, the provider's picker, and back on the page the professional
    asked for. The browser reaches the service as `localhost` and the provider as
    `127.0.0.1`: two sites, as in production, so the way back crosses sites (the
    session cookie is SameSite=Strict). Seen failing with the callback answering
    with a plain 303 to the landing instead of its own page that moves on: the
    browser held the new session cookie back, and the overview never came."""
    alma = stories()[0]
    page = new_page(browser)
    service = oidc_service.replace("127.0.0.1", "localhost")
    page.goto(f"{service}/pages/overview?cpr={alma.record.cpr}&purpose=social_case_work")
    assert "/pages/sign-in" in page.url
    assert page.locator("input[name=person]").count() == 0
    accessible(page)
    page.get_by_role("link", name="Log ind med din organisations login").click()
    page.wait_for_load_state()
    assert page.url.startswith("http://127.0.0.1:") and "/idp/authorize?" in page.url
    assert alma.record.cpr not in page.url  # the provider never sees where we were going
    page.locator("form:has(input[name=person][value=caseworker]) button").click()
    page.wait_for_url(f"{service}/pages/overview?*")
    assert "Aftaler i børne- og ungdomspsykiatrien" in section(page, "cat-psychiatry_appointments")
    assert page.csp_errors == []  # type: ignore[attr-defined]
