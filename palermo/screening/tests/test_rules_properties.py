"""Property tests of the Palermo rules (hypothesis), on generated and on the shipped instruments.

The monotonic property, stated precisely: in the order of concern
    not_indicated < insufficient_information < presumed_trafficked,
raising an additional strong indicator while the same questions stay answered never lowers the
outcome (nor any element's status, absent < unknown < present); and whatever the previous answer,
raising more indicators never takes "presumed" away. (Answering a question that was unanswered
may lower the outcome — more is then known — so that case is only held to the second guarantee.)
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from palermo.screening.instruments import (
    DECLINED,
    NO,
    NOT_ASKED,
    YES,
    AnswerType,
    Dimension,
    Element,
    ExploitationScope,
    Indicator,
    IndicatorMapping,
    Instrument,
    Population,
    Question,
    QuestionGroup,
    Strength,
    Threshold,
    all_instruments,
)
from palermo.screening.rules import CONCERN, ElementStatus, Outcome, assess

STATUS_RANK = {ElementStatus.ABSENT: 0, ElementStatus.UNKNOWN: 1, ElementStatus.PRESENT: 2}
TEXT = {lang: "x" for lang in ("en", "uk", "ro", "es", "pt", "fr")}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- generated instruments: one yes/no question per indicator --------------------------------

thresholds_strategy = st.lists(
    st.builds(Threshold, st.integers(0, 2), st.integers(0, 3), st.integers(0, 2)).filter(
        lambda t: t.strong + t.medium > 0  # what the loader enforces
    ),
    min_size=1,
    max_size=4,
).map(tuple)


@st.composite
def instruments(draw: Any) -> Instrument:
    dimensions = []
    for element in Element:  # every element has at least one dimension, as the loader enforces
        for n in range(draw(st.integers(1, 2))):
            dimensions.append(
                Dimension(f"d_{element.value}_{n}", TEXT, element, draw(thresholds_strategy))
            )
    indicators = []
    questions = []
    for dimension in dimensions:
        for n in range(draw(st.integers(1, 4))):
            indicator_id = f"{dimension.id}_i{n}"
            strength = draw(st.sampled_from(list(Strength)))
            indicators.append(
                Indicator(indicator_id, TEXT, strength, dimension.id, dimension.element)
            )
            raises_on = draw(st.sampled_from([YES, NO]))
            questions.append(
                Question(
                    id=f"q_{indicator_id}",
                    text=TEXT,
                    help={},
                    answer_type=AnswerType.YES_NO,
                    raises=(IndicatorMapping((indicator_id,), when=(raises_on,)),),
                    key=draw(st.booleans()),
                )
            )
    return Instrument(
        id="generated",
        version="1",
        title=TEXT,
        population=Population.ANY,
        exploitation_scope=ExploitationScope.ANY,
        groups=(QuestionGroup("g", TEXT, tuple(questions)),),
        dimensions=tuple(dimensions),
        indicators=tuple(indicators),
        max_unanswered_key_share=draw(st.sampled_from([0.0, 0.34, 0.5, 1.0])),
    )


ANSWER = st.sampled_from([YES, NO, NOT_ASKED, DECLINED])


@st.composite
def instrument_and_answers(draw: Any) -> tuple[Instrument, dict[str, str]]:
    instrument = draw(instruments())
    answers = {q: draw(ANSWER) for q in instrument.questions}
    return instrument, answers


def _raising_and_not(question: Question) -> tuple[str, str]:
    value = question.raises[0].when[0]
    return value, (NO if value == YES else YES)


@SETTINGS
@given(instrument_and_answers(), st.booleans(), st.data())
def test_adding_a_strong_indicator_never_lowers_the_outcome(
    case: Any, is_child: bool, data: Any
) -> None:
    instrument, answers = case
    strong_questions = [
        q
        for q in instrument.questions.values()
        if instrument.indicator(q.raises[0].indicators[0]).strength is Strength.STRONG
    ]
    assume(strong_questions)
    question = data.draw(st.sampled_from(strong_questions))
    raising, not_raising = _raising_and_not(question)
    before_answers = dict(answers, **{question.id: not_raising})
    after_answers = dict(answers, **{question.id: raising})
    before = assess(instrument, before_answers, is_child=is_child)
    after = assess(instrument, after_answers, is_child=is_child)
    assert CONCERN[after.outcome] >= CONCERN[before.outcome]
    for element in Element:
        assert (
            STATUS_RANK[after.elements[element].status]
            >= STATUS_RANK[before.elements[element].status]
        )
    # From an unanswered question too, "presumed" is never taken away.
    for unanswered in (NOT_ASKED, DECLINED):
        start = assess(instrument, dict(answers, **{question.id: unanswered}), is_child=is_child)
        if start.outcome is Outcome.PRESUMED_TRAFFICKED:
            assert after.outcome is Outcome.PRESUMED_TRAFFICKED


@SETTINGS
@given(instrument_and_answers(), st.data())
def test_a_child_never_needs_means(case: Any, data: Any) -> None:
    instrument, answers = case
    result = assess(instrument, answers, is_child=True)
    assert result.child_rule_applied
    # Any change to the answers that concern only the means leaves a child's outcome unchanged.
    means_questions = [
        q
        for q in instrument.questions.values()
        if instrument.indicator(q.raises[0].indicators[0]).element is Element.MEANS and not q.key
    ]
    changed = dict(answers)
    for question in means_questions:
        changed[question.id] = data.draw(ANSWER)
    assert assess(instrument, changed, is_child=True).outcome is result.outcome
    # Act and purpose present is enough, whatever the means.
    if all(
        result.elements[e].status is ElementStatus.PRESENT for e in (Element.ACT, Element.PURPOSE)
    ):
        assert result.outcome is Outcome.PRESUMED_TRAFFICKED
    assert result.elements[Element.MEANS].required is False


@SETTINGS
@given(instrument_and_answers())
def test_an_adult_needs_all_three_elements(case: Any) -> None:
    instrument, answers = case
    result = assess(instrument, answers, is_child=False)
    present = {e for e, r in result.elements.items() if r.status is ElementStatus.PRESENT}
    if result.outcome is Outcome.PRESUMED_TRAFFICKED:
        assert present == set(Element)
    else:
        assert present != set(Element)
    if any(r.status is ElementStatus.ABSENT for r in result.elements.values()):
        assert result.outcome is not Outcome.PRESUMED_TRAFFICKED


@SETTINGS
@given(instrument_and_answers(), st.booleans())
def test_weak_indicators_alone_never_make_a_dimension_positive(case: Any, is_child: bool) -> None:
    instrument, answers = case
    result = assess(instrument, answers, is_child=is_child)
    for dimension in result.dimensions:
        if dimension.strong == 0 and dimension.medium == 0:
            assert not dimension.positive
        if dimension.positive:
            assert dimension.rule


@SETTINGS
@given(instruments(), st.booleans())
def test_answers_that_raise_only_weak_indicators_never_presume(
    instrument: Instrument, is_child: bool
) -> None:
    answers = {}
    for question in instrument.questions.values():
        raising, not_raising = _raising_and_not(question)
        weak = instrument.indicator(question.raises[0].indicators[0]).strength is Strength.WEAK
        answers[question.id] = raising if weak else not_raising
    result = assess(instrument, answers, is_child=is_child)
    assert not any(d.positive for d in result.dimensions)
    assert result.outcome is Outcome.NOT_INDICATED


@SETTINGS
@given(instrument_and_answers(), st.booleans())
def test_declined_and_not_asked_are_distinct_from_no(case: Any, is_child: bool) -> None:
    instrument, answers = case
    result = assess(instrument, answers, is_child=is_child)
    assert set(result.not_asked) == {q for q, a in answers.items() if a == NOT_ASKED}
    assert set(result.declined) == {q for q, a in answers.items() if a == DECLINED}
    for raised in result.indicators:
        for _, answer in raised.raised_by:
            assert answer not in (NOT_ASKED, DECLINED)


# --- the shipped instruments -----------------------------------------------------------------

SHIPPED = all_instruments()


@st.composite
def shipped_case(draw: Any) -> tuple[Instrument, dict[str, Any]]:
    instrument = draw(st.sampled_from(sorted(SHIPPED.values(), key=lambda i: i.id)))
    answers: dict[str, Any] = {}
    for question in instrument.questions.values():
        if draw(st.integers(0, 5)) == 0:
            answers[question.id] = draw(st.sampled_from([NOT_ASKED, DECLINED]))
        elif question.answer_type is AnswerType.MULTI_CHOICE:
            values = [o.value for o in question.options]
            answers[question.id] = draw(st.lists(st.sampled_from(values), unique=True, max_size=4))
        elif question.answer_type in (AnswerType.YES_NO, AnswerType.CHOICE):
            answers[question.id] = draw(st.sampled_from([o.value for o in question.options]))
        elif question.answer_type is AnswerType.NUMBER:
            low = int(question.minimum or 0)
            high = int(question.maximum if question.maximum is not None else 100)
            answers[question.id] = draw(st.integers(low, high))
    return instrument, answers


@SETTINGS
@given(shipped_case(), st.sampled_from([None, True, False]), st.data())
def test_shipped_instruments_ticking_a_strong_option_never_lowers_the_outcome(
    case: Any, is_child: bool | None, data: Any
) -> None:
    instrument, answers = case
    candidates = [
        (q, o.value)
        for q in instrument.questions.values()
        if q.answer_type is AnswerType.MULTI_CHOICE and isinstance(answers.get(q.id), list)
        for o in q.options
        if o.value not in answers[q.id]
        and any(
            o.value in m.when and instrument.indicator(i).strength is Strength.STRONG
            for m in q.raises
            for i in m.indicators
        )
    ]
    assume(candidates)
    question, value = data.draw(st.sampled_from(candidates))
    before = assess(instrument, answers, is_child=is_child)
    after = assess(
        instrument,
        dict(answers, **{question.id: [*answers[question.id], value]}),
        is_child=is_child,
    )
    assert CONCERN[after.outcome] >= CONCERN[before.outcome]
    assert {i.id for i in before.indicators} <= {i.id for i in after.indicators}


@SETTINGS
@given(shipped_case(), st.sampled_from([None, True, False]))
def test_shipped_instruments_keep_the_palermo_rules(case: Any, is_child: bool | None) -> None:
    instrument, answers = case
    result = assess(instrument, answers, is_child=is_child)
    for dimension in result.dimensions:
        if dimension.strong == 0 and dimension.medium == 0:
            assert not dimension.positive
    present = {e for e, r in result.elements.items() if r.status is ElementStatus.PRESENT}
    if result.outcome is Outcome.PRESUMED_TRAFFICKED:
        if result.child_rule_applied:
            assert {Element.ACT, Element.PURPOSE} <= present
        elif result.age_group.value == "adult":
            assert present == set(Element)
    assert result.explanation[-1].code == f"outcome.{result.outcome.value}"
    result.to_dict()  # always serialisable
