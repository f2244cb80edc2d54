"""The Team and Audit log pages in a real browser: the demo admin invites someone,
who opens the link in a browser of their own, chooses a password and lands signed in
with the role given; the admin changes that role, creates an API key (seen once) and
reads the audit log filtered. A screenshot of each page goes to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from e2e.test_pages import app_database, browser, shot, sign_in, site
from e2e.test_run_command import Run

__all__ = ["app_database", "browser", "site"]  # the fixtures, shared with test_pages

ADMIN, ADMIN_PASSWORD = "admin@demo.example", "demo-password"
NEWCOMER, NEWCOMER_PASSWORD = "newcomer@demo.example", "newcomer-password-1"


def test_an_admin_invites_manages_roles_and_keys_and_reads_the_audit_log(
    site: Run, browser: Browser
) -> None:
    page = browser.new_page()
    sign_in(page, site.base, ADMIN, ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team")).to_be_visible()
    expect(page.get_by_role("cell", name=f"{ADMIN} you")).to_be_visible()
    shot(page, "team-members")

    page.get_by_role("navigation", name="Team sections").get_by_role(
        "link", name="Invitations"
    ).click()
    page.get_by_label("Email").fill(NEWCOMER)
    page.get_by_label("Role").select_option("bookkeeper")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_role("heading", name=f"{NEWCOMER} is invited as bookkeeper")).to_be_visible()
    link = page.get_by_label(re.compile("Invitation link")).input_value()
    assert "/invitations/accept?token=" in link
    shot(page, "team-invitation-link")

    newcomer = browser.new_context()
    theirs = newcomer.new_page()
    theirs.goto(link)
    expect(theirs.get_by_role("heading", name=re.compile("^Join "))).to_be_visible()
    shot(theirs, "invitation-accept")
    theirs.get_by_label("Choose a password").fill(NEWCOMER_PASSWORD)
    theirs.get_by_role("button", name="Set password and join").click()
    expect(theirs.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    expect(theirs.get_by_text(NEWCOMER)).to_be_visible()
    expect(theirs.get_by_text(re.compile("· bookkeeper"))).to_be_visible()
    assert theirs.get_by_role("link", name="Team").count() == 0
    theirs.goto(f"{site.base}/team/members")
    expect(theirs.get_by_role("heading", name="Not for your role")).to_be_visible()
    shot(theirs, "team-forbidden")
    newcomer.close()

    page.goto(f"{site.base}/team/members")
    page.get_by_label(f"Role of {NEWCOMER}", exact=True).select_option("viewer")
    page.get_by_role("button", name=f"Change the role of {NEWCOMER}").click()
    expect(page.get_by_role("status")).to_contain_text("The role is changed.")
    expect(page.get_by_label(f"Role of {NEWCOMER}", exact=True)).to_have_value("viewer")
    shot(page, "team-role-changed")

    page.get_by_role("navigation", name="Team sections").get_by_role(
        "link", name="API keys"
    ).click()
    page.get_by_label("Name (what uses it)").fill("Bank feed")
    page.get_by_label("Role").select_option("bookkeeper")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("Your new API key").input_value()
    assert key.startswith("lbk_")
    expect(page.get_by_text("shown only this once")).to_be_visible()
    shot(page, "team-api-key-once")
    page.goto(f"{site.base}/team/api-keys")
    expect(page.get_by_role("cell", name="Bank feed", exact=True)).to_be_visible()
    assert page.get_by_label("Your new API key").count() == 0
    assert key not in page.content()
    shot(page, "team-api-keys")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_label("Action (or its start)").fill("member.")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="member.role_changed").first).to_be_visible()
    assert page.get_by_role("cell", name="api_key.created").count() == 0
    shot(page, "audit-filtered")
    page.close()
