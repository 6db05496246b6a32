"""The auditor's page: only an auditor's session reaches it, it only reads (no
POST), it searches with the auditor API's own query, and it shows the chain's
state and the evaluation's published figures only.

Seen failing before the page existed (404 for everyone, so the auditor tests
failed); with the page's kind check taken out, the professional and citizen
tests fail (they get 200)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import AppFactory, auditor_headers, citizen_headers, token_for
from tests.pages.helpers import csrf, sign_in, stories

AUDITOR = {"id": "auditor-page-test", "role": "auditor"}
PAGES = (
    "/pages/auditor",
    "/pages/auditor/evaluation/lookups.csv",
    "/pages/auditor/evaluation/lookups.svg",
)


def citizen_token(cpr: str) -> str:
    return token_for({"id": "citizen-page-test", "role": "citizen"}, cpr=cpr)


def _a_lookup(client: TestClient, cpr: str) -> None:
    """The caseworker opens the child's overview: a decision and a disclosure record."""
    sign_in(client, token_for())
    answer = client.get("/pages/overview", params={"cpr": cpr, "purpose": "social_case_work"})
    assert answer.status_code == 200, answer.text


def test_a_professional_session_gets_no_auditor_page(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    sign_in(client, token_for())  # Alma's caseworker
    for path in PAGES:
        assert client.get(path, follow_redirects=False).status_code == 403, path


def test_a_citizen_session_gets_no_auditor_page(make_client: AppFactory) -> None:
    alma = stories()[0]
    client = make_client(anonymous=True)
    sign_in(client, citizen_token(alma.record.custody_holders[0]))
    for path in PAGES:
        query = f"?child_cpr={alma.record.cpr}" if path == PAGES[0] else ""
        answer = client.get(path + query, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "data-seq=" not in answer.text


def test_no_session_is_sent_to_sign_in(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    answer = client.get("/pages/auditor", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/pages/sign-in")


def test_the_auditor_page_takes_no_post(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    sign_in(client, token_for(AUDITOR))
    answer = client.post("/pages/auditor", data={"csrf": csrf(client)}, follow_redirects=False)
    assert answer.status_code == 405
    page = client.get("/pages/auditor").text
    form = page.split('id="search-form"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in page.split('id="search-form"', 1)[0].rsplit("<form", 1)[1]
    assert 'name="csrf"' not in form


def test_the_auditor_searches_as_the_api_does(make_client: AppFactory) -> None:
    alma = stories()[0]
    client = make_client(anonymous=True)
    _a_lookup(client, alma.record.cpr)
    sign_in(client, token_for(AUDITOR))
    api = client.get(
        "/v1/audit", params={"child_cpr": alma.record.cpr}, headers=auditor_headers()
    ).json()
    assert api["records"]
    page = client.get("/pages/auditor", params={"child_cpr": alma.record.cpr})
    assert page.status_code == 200
    for stored in api["records"]:
        assert f'data-seq="{stored["seq"]}"' in page.text
    for parent in alma.record.custody_holders:
        assert parent not in page.text
    # the chain's state is shown
    assert 'id="chain"' in page.text
    assert "chain-ok" in page.text
    # an invalid filter is refused as the API refuses it, not widened
    bad = client.get("/pages/auditor", params={"child_cpr": "12"})
    assert bad.status_code == 422
    none = client.get("/pages/auditor", params={"requester_id": "nobody-at-all"})
    assert none.status_code == 200
    assert "data-seq=" not in none.text


def test_the_evaluation_shows_only_published_figures(make_client: AppFactory) -> None:
    alma = stories()[0]
    client = make_client(anonymous=True)
    _a_lookup(client, alma.record.cpr)  # one child: every cell rests on < 5 children
    sign_in(client, token_for(AUDITOR))
    today = datetime.now(UTC).date().isoformat()
    period = {"from": today, "to": today}
    page = client.get("/pages/auditor/evaluation", params=period)
    assert page.status_code == 200
    assert 'id="evaluation"' in page.text
    csv = client.get("/pages/auditor/evaluation/lookups.csv", params=period)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    body = csv.text.splitlines()
    assert body[0].startswith("lookups")
    cells = [cell for line in body[1:] for cell in line.split(",")[1:]]
    assert "suppressed" in cells
    assert not any(cell.isdigit() and int(cell) > 0 for cell in cells)  # one child: all hidden
    # and no chart has anything to draw
    assert client.get("/pages/auditor/evaluation/lookups.svg", params=period).status_code == 404
    assert client.get("/pages/auditor/evaluation/nosuch.csv", params=period).status_code == 404
    backwards = client.get("/pages/auditor/evaluation", params={"from": today, "to": "2000-01-01"})
    assert backwards.status_code == 422


def test_the_evaluation_shows_the_gp_window_and_municipalities_suppressed(
    make_client: AppFactory,
) -> None:
    """The simultaneity tables and the per-municipality tables are on the page and
    as CSV; the caseworker's one child is hidden in its municipality's row."""
    alma = stories()[0]
    client = make_client(anonymous=True)
    _a_lookup(client, alma.record.cpr)
    sign_in(client, token_for(AUDITOR))
    today = datetime.now(UTC).date().isoformat()
    period = {"from": today, "to": today}
    page = client.get("/pages/auditor/evaluation", params=period)
    assert page.status_code == 200
    for name in ("gp_window", "gp_days_outside", "municipal_lookups", "municipal_permitted"):
        assert f'id="table-{name}"' in page.text, name
    assert "By the municipality of the requesting unit" in page.text
    csv = client.get("/pages/auditor/evaluation/municipal_lookups.csv", params=period)
    assert csv.status_code == 200
    header, *rows = [line.split(",") for line in csv.text.splitlines()]
    assert header[0] == "municipal_lookups"
    [municipality] = [row for row in rows if row[0] != "total"]
    assert municipality[0] == "851"  # the requesting unit's municipality, from the register
    assert set(municipality[1:]) == {"suppressed"}


def test_the_filters_narrow_as_the_api_does(make_client: AppFactory) -> None:
    alma, other = stories()[0], stories()[1]
    client = make_client(anonymous=True)
    _a_lookup(client, alma.record.cpr)
    _a_lookup(client, other.record.cpr)
    sign_in(client, token_for(AUDITOR))
    api = client.get("/v1/audit", params={"kind": "decision"}, headers=auditor_headers()).json()
    decision = next(s for s in api["records"] if s["record"]["child_cpr"] == alma.record.cpr)
    rule = next(c["rule_id"] for c in decision["record"]["categories"].values() if c["rule_id"])
    outcome = decision["record"]["outcome"]
    today = datetime.now(UTC).date().isoformat()
    page = client.get(
        "/pages/auditor",
        params={
            "child_cpr": alma.record.cpr,
            "requester_id": decision["record"]["requester"]["id"],
            "organisation_id": decision["record"]["requester"]["organisation_id"],
            "rule_id": rule,
            "outcome": outcome,
            "from": today,
            "to": today,
        },
    ).text
    assert f'data-seq="{decision["seq"]}"' in page
    assert other.record.cpr not in page
    nothing = client.get("/pages/auditor", params={"rule_id": "NO-SUCH-RULE"}).text
    assert "data-seq=" not in nothing
    yesterday = client.get("/pages/auditor", params={"to": "2000-01-01"}).text
    assert "data-seq=" not in yesterday
    assert client.get("/pages/auditor", params={"outcome": "maybe"}).status_code == 422
    assert client.get("/pages/auditor", params={"cursor": "not-ours"}).status_code == 422


def test_the_auditor_page_in_english(make_client: AppFactory) -> None:
    client = make_client(anonymous=True)
    sign_in(client, token_for(AUDITOR))
    client.cookies.set("hoi_lang", "en", path="/pages")
    page = client.get("/pages/auditor").text
    assert '<html lang="en">' in page
    assert "The chain holds" in page
    danish = make_client(anonymous=True)
    sign_in(danish, token_for(AUDITOR))
    assert "Kæden er hel" in danish.get("/pages/auditor").text


def test_a_broken_chain_is_shown_with_its_first_broken_link(make_client: AppFactory) -> None:
    from sqlalchemy import update

    from audit.store import RECORDS

    alma = stories()[0]
    client = make_client(anonymous=True)
    _a_lookup(client, alma.record.cpr)
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.begin() as conn:
        conn.execute(update(RECORDS).where(RECORDS.c.seq == 1).values(body=RECORDS.c.body + " "))
    sign_in(client, token_for(AUDITOR))
    page = client.get("/pages/auditor").text
    assert "chain-broken" in page
    assert "chain-ok" not in page
    assert "seq 1" in page
    assert "the record was altered" in page


def test_reading_the_evaluation_is_itself_audited(make_client: AppFactory) -> None:
    """Each view of the evaluation (the page, a table, a chart) is committed to the
    audit trail before it is shown: the auditor from the token, the period, what
    was shown, and no child. Seen failing before the pages recorded it (no
    evaluation_read record)."""
    alma = stories()[0]
    client = make_client(anonymous=True)
    _a_lookup(client, alma.record.cpr)
    # A professional who tries gets nothing, and nothing is recorded as read.
    assert client.get("/pages/auditor/evaluation").status_code == 403
    sign_in(client, token_for(AUDITOR))
    today = datetime.now(UTC).date().isoformat()
    period = {"from": today, "to": today}
    assert client.get("/pages/auditor/evaluation", params=period).status_code == 200
    assert client.get("/pages/auditor/evaluation/lookups.csv", params=period).status_code == 200

    found = client.get(
        "/v1/audit", params={"kind": "evaluation_read"}, headers=auditor_headers("auditor-2")
    ).json()["records"]
    shown = sorted(
        (r["record"]["evaluation"]["view"], r["record"]["evaluation"]["name"]) for r in found
    )
    assert shown == [("page", None), ("table", "lookups")]
    for stored in found:
        record = stored["record"]
        assert record["requester"]["id"] == AUDITOR["id"]
        assert record["requester"]["role"] == "auditor"
        assert record["child_cpr"] == ""
        assert record["evaluation"]["period_start"] == today
        # As FHIR: a query whose entity is the report, validated.
        fhir = client.get(
            f"/v1/audit/{record['decision_id']}/fhir", headers=auditor_headers("auditor-2")
        )
        assert fhir.status_code == 200, fhir.text
        [event] = [e["resource"] for e in fhir.json()["entry"]]
        assert event["type"]["code"] == "110112"
        assert event["entity"][0]["role"]["code"] == "3"

    # No family's access log shows the evaluation.
    mother = alma.record.custody_holders[0]
    log = client.get(f"/v1/citizens/{alma.record.cpr}/access-log", headers=citizen_headers(mother))
    assert log.status_code == 200, log.text
    entries = log.json()["entries"]
    assert entries  # the caseworker's lookup is there
    assert all(e["purpose"] != "evaluation" for e in entries)
