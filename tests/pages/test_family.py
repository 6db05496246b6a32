"""The family's page changes what professionals see: a block set on the page hides
the child from the blocked organisation at once, and lifting it shows it again.
Each change is said in words."""

from __future__ import annotations

import re

from tests.conftest import AppFactory, token_for
from tests.pages.helpers import csrf, sign_in, stories

ENTRY = re.compile(r"entry=([A-Za-z0-9_-]+)")
BLOCKED = "Spærret på familiens anmodning"


def test_a_block_set_and_lifted_on_the_page(make_client: AppFactory) -> None:
    alma = stories()[0]
    client = make_client(anonymous=True)  # one service; the session says who is signed in
    parent = token_for({"id": "parent", "role": "citizen"}, cpr=alma.record.custody_holders[0])
    overview = f"/pages/overview?cpr={alma.record.cpr}&purpose=social_case_work"

    def caseworker_sees() -> str:
        sign_in(client, token_for())
        return client.get(overview).text

    assert BLOCKED not in caseworker_sees()
    sign_in(client, parent)
    answer = client.post(
        "/pages/family/blocks",
        data={"csrf": csrf(client), "cpr": alma.record.cpr, "target_id": "851-family"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    match = ENTRY.search(answer.headers["location"])
    assert match is not None
    done = client.get(answer.headers["location"]).text
    assert "Spærringen er sat" in done
    assert "Børne- og familieafdelingen kan nu ikke se noget om barnet" in done
    assert BLOCKED in caseworker_sees()

    sign_in(client, parent)
    lifted = client.post(
        "/pages/family/blocks/lift",
        data={"csrf": csrf(client), "cpr": alma.record.cpr, "id": match.group(1)},
    )
    assert "Spærringen er ophævet" in lifted.text
    assert BLOCKED not in caseworker_sees()
