"""A screening in a real browser: the interviewer works in Romanian, the person answers in
Ukrainian, and the interview ends with a registered person and their consent.

Driven by Playwright in Debian's Chromium against live_server, with a shipped instrument.
Assertions are on structure (ids, `lang` attributes, URLs, the database), not on wording.
Screenshots go to test-results/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.consent.models import ConsentRecord
from palermo.people.models import Person
from palermo.people.services import person_create
from palermo.screening import instruments as catalogue
from palermo.screening.models import Screening, ScreeningStatus
from palermo.testing import OrganisationFactory, actor_for, member
from tests.browser_steps import new_context, sign_in
from tests.conftest import browser, screenshot_dir  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSTRUMENT = "ilo-forced-labour"
TABLET = {"width": 800, "height": 1280}
NARROW_PHONE = {"width": 360, "height": 740}


def answer_the_step(page: Page, number: int) -> None:
    """Answer every question of the step shown: the first choice, an age, and one refusal."""
    questions = page.locator("#wizard fieldset.question")
    for index in range(questions.count()):
        question = questions.nth(index)
        number_input = question.locator("input[type=number]")
        if number_input.count():
            number_input.fill("24")
            continue
        if number == 2 and index == 0:
            # The person would rather not say: a choice of its own, not "no".
            question.locator("input[value=declined]").check()
            continue
        choices = question.locator(
            "input[type=radio]:not([value=not_asked]):not([value=declined]),"
            "input[type=checkbox]:not([value=not_asked]):not([value=declined])"
        )
        if choices.count():
            choices.first.check()


def test_a_screening_in_romanian_with_a_ukrainian_speaker_ends_in_consent_and_a_person(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
) -> None:
    instrument = catalogue.all_instruments()[INSTRUMENT]
    organisation = OrganisationFactory(name="Poliția de Frontieră — Leușeni", country="MD")
    responder: Membership = member(Role.FIRST_RESPONDER, organisation)
    # Someone of a similar name is already registered: registration shows them first.
    earlier = person_create(
        actor=actor_for(responder),
        data={"first_name": "Олена", "second_name": "Коваленко", "birthdate": "1996-01-15"},
    )
    context = new_context(browser, str(live_server), viewport=TABLET)
    page = context.new_page()
    sign_in(page, responder)
    with page.expect_navigation():
        page.select_option("#language-select", "ro")
    expect(page.locator("html")).to_have_attribute("lang", "ro")

    page.goto("/screening/")
    page.locator("#start-screening").click()
    page.check(f"#id_instrument_{INSTRUMENT}")
    page.select_option("#id_interviewee_language", "uk")
    page.screenshot(path=screenshot_dir / "screening-start-ro.png", full_page=True)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(re.compile(r"/screening/[0-9a-f-]+/step/1/$"))
    screening = Screening.objects.get()
    assert (screening.interviewer_language, screening.interviewee_language) == ("ro", "uk")

    total = len(instrument.groups)
    for number in range(1, total + 1):
        expect(page.locator("html")).to_have_attribute("lang", "ro")
        # Each question in the interviewer's language, and beside it in the person's.
        first_question = instrument.groups[number - 1].questions[0]
        legend = page.locator(f"#q-{first_question.id} legend")
        expect(legend).to_contain_text(catalogue.localised(first_question.text, "ro"))
        expect(page.locator(f"#q-{first_question.id} p[lang=uk]")).to_contain_text(
            catalogue.localised(first_question.text, "uk")
        )
        answer_the_step(page, number)
        if number == 1:
            page.screenshot(path=screenshot_dir / "screening-step-ro-uk.png", full_page=True)
        page.locator("#wizard button[value=next]").click()
        if number < total:
            # htmx swaps in the next step and the address follows.
            page.wait_for_url(re.compile(rf"/step/{number + 1}/$"))
            expect(page.locator("#progress")).to_have_attribute("value", str(number + 1))
    page.wait_for_url(re.compile(r"/finish/$"))
    screening.refresh_from_db()
    assert "declined" in screening.answers.values()
    page.screenshot(path=screenshot_dir / "screening-summary-ro.png", full_page=True)
    page.locator("#complete-screening").click()
    page.wait_for_url(re.compile(rf"/screening/{screening.public_id}/$"))
    screening.refresh_from_db()
    assert screening.status == ScreeningStatus.COMPLETED
    expect(page.locator("#outcome")).to_have_attribute("data-outcome", screening.outcome)
    expect(page.locator("#explanation li").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "screening-outcome-ro.png", full_page=True)

    page.locator("#register-person").click()
    page.fill("#id_first_name", "Olena")
    page.fill("#id_second_name", "Kovalenko")
    page.fill("#id_birthdate", "2001-03-09")
    page.locator("#check-duplicates").click()
    expect(page.locator(f"#candidate-{earlier.public_id}")).to_be_visible()
    page.screenshot(path=screenshot_dir / "screening-candidates-ro.png", full_page=True)
    page.locator("#register-new").click()
    page.wait_for_url(re.compile(r"/consent/person/[0-9a-f-]+/\?"))
    expect(page.locator("#id_language")).to_have_value("uk")
    page.check("#id_decision_assistance_given")
    page.check("#id_decision_law_enforcement_refused")
    page.screenshot(path=screenshot_dir / "screening-consent-ro.png", full_page=True)
    page.locator("#consent-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/screening/{screening.public_id}/$"))
    expect(page.locator("#consents-captured li")).to_have_count(2)
    page.screenshot(path=screenshot_dir / "screening-done-ro.png", full_page=True)

    screening.refresh_from_db()
    person = Person.objects.exclude(pk=earlier.pk).get()
    assert screening.person == person
    assert (person.first_name, person.primary_language) == ("Olena", "uk")
    decisions = dict(ConsentRecord.objects.filter(person=person).values_list("purpose", "decision"))
    assert decisions == {"assistance": "given", "law_enforcement": "refused"}
    assert set(ConsentRecord.objects.values_list("language", "source", "source_reference")) == {
        ("uk", "screening", str(screening.public_id))
    }

    # The pages fit a 360-pixel-wide phone too (same session: a TOTP code is used only once).
    page.set_viewport_size(NARROW_PHONE)
    widths = {}
    for name, path in {
        "outcome": f"/screening/{screening.public_id}/",
        "consent": f"/consent/person/{person.public_id}/",
        "start": "/screening/new/",
        "list": "/screening/",
    }.items():
        page.goto(path)
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=screenshot_dir / f"phone-screening-{name}.png", full_page=True)
    context.close()
    too_wide = {name: width for name, width in widths.items() if width > NARROW_PHONE["width"]}
    assert not too_wide, f"pages scroll sideways at 360 px: {too_wide}"


def test_the_wizard_works_without_javascript(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
) -> None:
    instrument = catalogue.all_instruments()[INSTRUMENT]
    responder = member(Role.FIRST_RESPONDER)
    context = new_context(browser, str(live_server), java_script_enabled=False)
    page = context.new_page()
    sign_in(page, responder)
    page.goto("/screening/new/")
    page.check(f"#id_instrument_{INSTRUMENT}")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(re.compile(r"/step/1/$"))
    answer_the_step(page, 1)
    page.locator("#wizard button[value=next]").click()
    page.wait_for_url(re.compile(r"/step/2/$"))
    page.locator("#wizard button[value=back]").click()
    page.wait_for_url(re.compile(r"/step/1/$"))
    # Back and forth without losing an answer.
    screening = Screening.objects.get()
    assert screening.answers
    first = instrument.groups[0].questions[0]
    if first.answer_type is catalogue.AnswerType.NUMBER:
        expect(page.locator(f"#id_q_{first.id}")).to_have_value("24")
    page.screenshot(path=screenshot_dir / "screening-no-js.png", full_page=True)
    context.close()
