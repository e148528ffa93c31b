"""The referral mechanism end to end in a real browser (Debian's Chromium, Playwright).

A first responder screens a person and records their consent; a case worker of the same
organisation opens a case from the screening and refers it to a shelter, sharing identity and
health only; the shelter's provider is notified, accepts and starts the service; the deadline
for the reasonable-grounds decision passes and the case worker is told it is overdue; the
competent authority records the decision; the provider marks the service done and the case
worker closes the case. Assertions are on structure and on the database, not on wording.
Screenshots go to test-results/.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from palermo.accounts.models import Membership, Organisation, OrganisationType
from palermo.accounts.roles import Role
from palermo.cases.models import Case, CaseDeadline, CaseStatus
from palermo.cases.reminders import send_deadline_notices
from palermo.notifications.models import Notification
from palermo.people.models import Person
from palermo.referrals.models import Referral, ReferralState
from palermo.screening import instruments as catalogue
from palermo.screening.models import Screening, ScreeningStatus
from palermo.testing import OrganisationFactory, member
from tests.browser_steps import new_context, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSTRUMENT = "ilo-forced-labour"
PHONE = {"width": 360, "height": 740}


def _answer_every_step(page: Page, steps: int) -> None:
    """Answer the wizard's questions with the first choice (an age where one is asked)."""
    for number in range(1, steps + 1):
        questions = page.locator("#wizard fieldset.question")
        for index in range(questions.count()):
            question = questions.nth(index)
            number_input = question.locator("input[type=number]")
            if number_input.count():
                number_input.fill("24")
                continue
            choices = question.locator(
                "input[type=radio]:not([value=not_asked]):not([value=declined]),"
                "input[type=checkbox]:not([value=not_asked]):not([value=declined])"
            )
            if choices.count():
                choices.first.check()
        page.locator("#wizard button[value=next]").click()
        if number < steps:
            page.wait_for_url(re.compile(rf"/step/{number + 1}/$"))
            expect(page.locator("#progress")).to_have_attribute("value", str(number + 1))
    page.wait_for_url(re.compile(r"/finish/$"))


def _scrolls_sideways(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width > PHONE["width"]


def test_screening_case_referral_acceptance_deadline_and_closure(
    browser: Browser, live_server: object, screenshot_dir: Path
) -> None:
    ngo = OrganisationFactory(name="La Strada Moldova", country="MD")
    shelter = OrganisationFactory(
        name="Casa Mărioarei", country="MD", org_type=OrganisationType.NGO
    )
    ministry = OrganisationFactory(
        name="Ministerul Muncii", country="MD", org_type=OrganisationType.CENTRAL_GOVERNMENT
    )
    responder: Membership = member(Role.FIRST_RESPONDER, ngo)
    worker: Membership = member(Role.CASE_WORKER, ngo)
    provider: Membership = member(Role.SERVICE_PROVIDER, shelter)
    authority: Membership = member(Role.COMPETENT_AUTHORITY, ministry)
    base = str(live_server)

    # 1. The first responder screens the person and records consent, naming the shelter.
    responder_tab = new_context(browser, base).new_page()
    sign_in(responder_tab, responder)
    responder_tab.goto("/screening/new/")
    responder_tab.check(f"#id_instrument_{INSTRUMENT}")
    responder_tab.locator("form.stacked button[type=submit]").click()
    responder_tab.wait_for_url(re.compile(r"/screening/[0-9a-f-]+/step/1/$"))
    _answer_every_step(responder_tab, len(catalogue.all_instruments()[INSTRUMENT].groups))
    responder_tab.locator("#complete-screening").click()
    screening = Screening.objects.get()
    responder_tab.wait_for_url(re.compile(rf"/screening/{screening.public_id}/$"))
    responder_tab.locator("#register-person").click()
    responder_tab.fill("#id_first_name", "Olena")
    responder_tab.fill("#id_second_name", "Kovalenko")
    responder_tab.fill("#id_birthdate", "1996-03-09")
    responder_tab.locator("#check-duplicates").click()
    responder_tab.locator("#register-new").click()
    responder_tab.wait_for_url(re.compile(r"/consent/person/[0-9a-f-]+/\?"))
    responder_tab.check("#id_decision_assistance_given")
    responder_tab.check("#id_decision_referral_given")
    responder_tab.select_option("#id_referral_organisation", str(shelter.public_id))
    responder_tab.locator("#consent-form button[type=submit]").click()
    responder_tab.wait_for_url(re.compile(rf"/screening/{screening.public_id}/$"))
    screening.refresh_from_db()
    assert screening.status == ScreeningStatus.COMPLETED
    person = Person.objects.get()
    assert screening.person == person

    # 2. The case worker opens a case from the screening, on a phone.
    worker_context = new_context(browser, base, viewport=PHONE)
    worker_tab = worker_context.new_page()
    sign_in(worker_tab, worker)
    worker_tab.goto(f"/screening/{screening.public_id}/")
    worker_tab.locator("#open-case").click()
    worker_tab.wait_for_url(re.compile(r"/cases/new/"))
    worker_tab.select_option("#id_competent_organisation", str(ministry.public_id))
    worker_tab.fill("#id_summary", "Recruited for farm work; passport kept by the employer.")
    worker_tab.screenshot(path=screenshot_dir / "flow-open-case.png", full_page=True)
    worker_tab.locator("form button[type=submit]").last.click()
    case = Case.objects.get(person=person)
    worker_tab.wait_for_url(re.compile(rf"/cases/{case.public_id}/$"))
    expect(worker_tab.locator("#stage")).to_have_attribute("data-stage", "referral")
    assert case.screening == screening
    assert not _scrolls_sideways(worker_tab)
    deadline = CaseDeadline.objects.get(case=case, met_at__isnull=True, kind="due")
    expect(worker_tab.locator("#deadlines")).to_contain_text(deadline.due_on.isoformat())
    worker_tab.screenshot(path=screenshot_dir / "flow-case.png", full_page=True)

    # 3. … and refers it to the shelter, sharing identity and health only.
    worker_tab.locator("#refer-button").click()
    worker_tab.wait_for_url(re.compile(r"/referrals/cases/[0-9a-f-]+/refer/"))
    worker_tab.check("#id_receiver_type_organisation")
    worker_tab.select_option("#id_receiving_organisation", str(shelter.public_id))
    for box in worker_tab.locator("#shared-groups input[type=checkbox]").all():
        box.uncheck()
    worker_tab.check("#id_group_identity")
    worker_tab.check("#id_group_health")
    worker_tab.fill("#id_details", "Needs a safe place tonight and a doctor.")
    worker_tab.screenshot(path=screenshot_dir / "flow-refer.png", full_page=True)
    worker_tab.locator("#refer-form button[type=submit]").click()
    referral = Referral.objects.get(case=case)
    worker_tab.wait_for_url(re.compile(rf"/referrals/{referral.public_id}/$"))
    assert referral.state == ReferralState.PENDING
    assert sorted(referral.shared_groups) == ["health", "identity"]
    assert not _scrolls_sideways(worker_tab)

    # 4. The provider is notified, sees only what was shared, accepts and starts the service.
    provider_tab = new_context(browser, base).new_page()
    sign_in(provider_tab, provider)
    expect(provider_tab.locator(".notifications-link .badge")).to_have_text("1")
    provider_tab.goto("/referrals/")
    provider_tab.locator(f"a[href$='/referrals/{referral.public_id}/']").first.click()
    provider_tab.wait_for_url(re.compile(rf"/referrals/{referral.public_id}/$"))
    expect(provider_tab.locator("#shared-person")).to_contain_text("Olena")
    # The story is not shared with the shelter: the case summary is not on its page.
    assert "passport kept" not in provider_tab.content()
    provider_tab.screenshot(path=screenshot_dir / "flow-provider-referral.png", full_page=True)
    provider_tab.locator("#form-accept button[type=submit]").click()
    expect(provider_tab.locator("#referral-state")).to_have_attribute("data-state", "accepted")
    provider_tab.locator("#form-start button[type=submit]").click()
    expect(provider_tab.locator("#referral-state")).to_have_attribute("data-state", "in_progress")
    referral.refresh_from_db()
    assert referral.state == ReferralState.IN_PROGRESS
    # The shelter now sees the case, but not the narrative it was not given.
    provider_tab.goto(f"/cases/{case.public_id}/")
    assert "passport kept" not in provider_tab.content()
    expect(provider_tab.locator("#decide")).to_have_count(0)

    # 5. The reasonable-grounds deadline passes: the case worker is told it is overdue.
    after = timezone.make_aware(
        datetime.datetime.combine(deadline.due_on + datetime.timedelta(days=1), datetime.time(9))
    )
    send_deadline_notices(now=after)
    assert Notification.objects.filter(recipient=worker.user, kind="case.deadline_overdue").exists()
    CaseDeadline.objects.filter(pk=deadline.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    Case.objects.filter(pk=case.pk).update(
        next_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    worker_tab.goto("/cases/overdue/")
    expect(worker_tab.locator(f"a[href$='/cases/{case.public_id}/']").first).to_be_visible()
    worker_tab.goto("/notifications/")
    expect(worker_tab.locator(".notification-list li.unread").first).to_be_visible()
    worker_tab.screenshot(path=screenshot_dir / "flow-overdue.png", full_page=True)

    # 6. The competent authority records the decision.
    authority_tab = new_context(browser, base).new_page()
    sign_in(authority_tab, authority)
    authority_tab.goto(f"/cases/{case.public_id}/")
    authority_tab.locator("#decide").click()
    authority_tab.check("#id_outcome")
    authority_tab.fill("#id_reason", "Indicators of forced labour met.")
    authority_tab.locator("form button[type=submit]").last.click()
    authority_tab.wait_for_url(re.compile(rf"/cases/{case.public_id}/$"))
    expect(authority_tab.locator("#stage")).to_have_attribute("data-stage", "recovery")
    deadline.refresh_from_db()
    assert deadline.met_at is not None

    # 7. The service is done, and the case worker closes the case.
    provider_tab.goto(f"/referrals/{referral.public_id}/")
    provider_tab.locator("#form-done button[type=submit]").click()
    expect(provider_tab.locator("#referral-state")).to_have_attribute("data-state", "done")
    worker_tab.goto(f"/cases/{case.public_id}/close/")
    worker_tab.select_option("#id_reason", "AssistanceCompleted")
    worker_tab.locator("form button[type=submit]").last.click()
    worker_tab.wait_for_url(re.compile(rf"/cases/{case.public_id}/$"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == "AssistanceCompleted"
    worker_tab.screenshot(path=screenshot_dir / "flow-closed.png", full_page=True)
    # With the referral done, the shelter no longer sees the case.
    response = provider_tab.goto(f"/cases/{case.public_id}/")
    assert response is not None and response.status == 404
    assert Organisation.objects.count() == 3
