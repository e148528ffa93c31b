"""The case lifecycle of the national referral mechanism, as per-country configuration.

Each deployment follows its country's rules: the stages, who may refer a person into the
mechanism, who takes each decision, the deadlines (in working or calendar days) and the holiday
calendar they are counted in. Those rules are data, in `lifecycles/<country>.toml` (see
`lifecycles/README.md` for the format); `PALERMO_COUNTRY` chooses the file, and a country
without one follows `lifecycles/default.toml`. Files are checked against the schema when
loaded, and a malformed file is refused with "file: reason" — a deployment never runs on rules
it half understood.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation

from palermo.accounts.models import OrganisationType
from palermo.accounts.roles import Perm, Role, role_can

from .models import CaseStatus, ClosureReason
from .working_days import SATURDAY, SUNDAY, WorkingCalendar, add_calendar_days

if TYPE_CHECKING:
    from palermo.accounts.actors import Actor

LIFECYCLE_DIR = Path(__file__).resolve().parent / "lifecycles"
DEFAULT_NAME = "default"
LANGUAGES = ("en", "uk", "ro", "es", "pt", "fr")
MAX_FILE_BYTES = 256 * 1024
MAX_LABEL_LENGTH = 120
MAX_DEADLINE_DAYS = 3650
# Council of Europe Convention, article 13: a recovery and reflection period of at least 30 days.
MIN_RECOVERY_DAYS = 30
MAX_REMINDER_DAYS = 60
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": SATURDAY,
    "sunday": SUNDAY,
}
_OPEN_STATUSES = {CaseStatus.ACTIVE.value, CaseStatus.FOLLOW_UP.value}
_CLOSED_STATUSES = {CaseStatus.CLOSED.value, CaseStatus.CLOSED_REFERRED.value}


class LifecycleError(ValueError):
    """A lifecycle file that is missing or malformed; the message is "file: reason"."""


# Deadline kinds: a decision or step that is due, or the end of a minimum period (the recovery
# period), which is not "missed" but announced.
DUE = "due"
PERIOD_END = "period_end"


@dataclass(frozen=True)
class DeadlineRule:
    days: int
    working: bool  # working days (with the calendar) or calendar days

    def describe(self) -> dict[str, Any]:
        return {"days": self.days, "unit": "working_days" if self.working else "calendar_days"}


@dataclass(frozen=True)
class Authorised:
    """Who may do something: roles and organisation types (an empty list: any)."""

    roles: frozenset[str]
    organisation_types: frozenset[str]

    def allows(self, actor: Actor) -> bool:
        if actor.role is None or actor.organisation is None:
            return False
        if self.roles and str(actor.role) not in self.roles:
            return False
        return not (
            self.organisation_types and actor.organisation.org_type not in self.organisation_types
        )

    def describe(self) -> dict[str, list[str]]:
        return {
            "roles": sorted(self.roles),
            "organisation_types": sorted(self.organisation_types),
        }


@dataclass(frozen=True)
class DecisionRule:
    key: str
    labels: Mapping[str, str]
    deciders: Authorised
    positive: str
    negative: str

    def label(self, language: str | None = None) -> str:
        return _pick(self.labels, language)


@dataclass(frozen=True)
class Stage:
    key: str
    order: int
    labels: Mapping[str, str]
    status: str
    deadline: DeadlineRule | None = None
    minimum_days: int = 0
    recovery: bool = False
    decision: DecisionRule | None = None
    next: str = ""

    def label(self, language: str | None = None) -> str:
        return _pick(self.labels, language)

    @property
    def is_closed(self) -> bool:
        return self.status in _CLOSED_STATUSES


@dataclass(frozen=True)
class CalendarRule:
    country: str  # "" : the deployment's country
    subdivision: str
    weekend: frozenset[int]
    extra_holidays: frozenset[datetime.date]


@dataclass(frozen=True)
class ClosureRule:
    stage: str
    reasons: tuple[str, ...]
    reopen: bool
    reopen_stage: str
    reopen_within_days: int


class _Holidays:
    """Public holidays from the `holidays` package plus the file's extra dates."""

    def __init__(self, public: Any, extra: frozenset[datetime.date]) -> None:
        self._public = public
        self._extra = extra

    def __contains__(self, day: object) -> bool:
        if day in self._extra:
            return True
        return self._public is not None and day in self._public


@dataclass(frozen=True)
class Lifecycle:
    name: str  # the file's stem: "default", "gb", "md"
    source: str  # the file's path, for messages
    title: str
    country: str  # the country whose public holidays count ("" for none)
    entry_stage: str
    reminder_days: int
    adult_consent: bool
    referral: Authorised
    stages: tuple[Stage, ...]
    calendar_rule: CalendarRule
    closure: ClosureRule

    def stage(self, key: str) -> Stage | None:
        for stage in self.stages:
            if stage.key == key:
                return stage
        return None

    def stage_label(self, key: str, language: str | None = None) -> str:
        stage = self.stage(key)
        return stage.label(language) if stage else key

    def ordered_stages(self) -> list[Stage]:
        return sorted(self.stages, key=lambda s: (s.order, s.key))

    def may_open(self, actor: Actor) -> bool:
        """The actor may refer a person into the mechanism under these rules."""
        return actor.can(Perm.CASE_OPEN) and self.referral.allows(actor)

    def may_decide(self, stage: Stage, actor: Actor) -> bool:
        return (
            stage.decision is not None
            and actor.can(Perm.CASE_DECIDE)
            and stage.decision.deciders.allows(actor)
        )

    def deciding_stages(self) -> list[Stage]:
        return [s for s in self.ordered_stages() if s.decision is not None]

    @property
    def calendar(self) -> WorkingCalendar:
        return _working_calendar(self.country, self.calendar_rule)

    def deadlines_on_entry(
        self, stage: Stage, entered: datetime.date
    ) -> list[tuple[str, datetime.date]]:
        """The deadlines a case gets when it enters `stage` on `entered`: (kind, due date)."""
        result: list[tuple[str, datetime.date]] = []
        if stage.minimum_days:
            result.append((PERIOD_END, add_calendar_days(entered, stage.minimum_days)))
        if stage.deadline is not None:
            if stage.deadline.working:
                due = self.calendar.add_working_days(entered, stage.deadline.days)
            else:
                due = add_calendar_days(entered, stage.deadline.days)
            result.append((DUE, due))
        return result

    def describe(self, language: str | None = None) -> dict[str, Any]:
        """The configuration in force, for the API and `palermo cases lifecycle`."""
        return {
            "name": self.name,
            "title": self.title,
            "country": self.country,
            "entry_stage": self.entry_stage,
            "reminder_days": self.reminder_days,
            "adult_consent": self.adult_consent,
            "referral": self.referral.describe(),
            "calendar": {
                "country": self.country,
                "subdivision": self.calendar_rule.subdivision,
                "weekend": sorted(self.calendar_rule.weekend),
                "extra_holidays": sorted(d.isoformat() for d in self.calendar_rule.extra_holidays),
            },
            "closure": {
                "stage": self.closure.stage,
                "reasons": list(self.closure.reasons),
                "reopen": self.closure.reopen,
                "reopen_stage": self.closure.reopen_stage,
                "reopen_within_days": self.closure.reopen_within_days,
            },
            "stages": [
                {
                    "key": s.key,
                    "order": s.order,
                    "label": s.label(language),
                    "labels": dict(s.labels),
                    "status": s.status,
                    "deadline": s.deadline.describe() if s.deadline else None,
                    "minimum_days": s.minimum_days,
                    "recovery": s.recovery,
                    "next": s.next,
                    "decision": None
                    if s.decision is None
                    else {
                        "key": s.decision.key,
                        "label": s.decision.label(language),
                        "labels": dict(s.decision.labels),
                        "deciders": s.decision.deciders.describe(),
                        "positive": s.decision.positive,
                        "negative": s.decision.negative,
                    },
                }
                for s in self.ordered_stages()
            ],
        }


def _pick(labels: Mapping[str, str], language: str | None) -> str:
    language = (language or translation.get_language() or "en").split("-")[0]
    return labels.get(language) or labels["en"]


@cache
def _working_calendar(country: str, rule: CalendarRule) -> WorkingCalendar:
    public = None
    if country:
        import holidays

        public = holidays.country_holidays(country, subdiv=rule.subdivision or None)
    return WorkingCalendar(weekend=rule.weekend, holidays=_Holidays(public, rule.extra_holidays))


# --- loading -------------------------------------------------------------------------------


class _Reader:
    """Reads one file's data, failing with "file: reason" at the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, reason: str) -> LifecycleError:
        return LifecycleError(f"{self.source}: {reason}")

    def table(self, data: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(f"{where} must be a table")
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise self.fail(f"{where}: unknown key(s) {', '.join(unknown)}")
        return data

    def required(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise self.fail(f"{where}: '{key}' is missing")
        return data[key]

    def text(self, value: Any, where: str, *, max_length: int = 200, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} must be text")
        value = value.strip()
        if not value and not empty:
            raise self.fail(f"{where} must not be empty")
        if len(value) > max_length:
            raise self.fail(f"{where} is longer than {max_length} characters")
        if any(ord(c) < 32 for c in value):
            raise self.fail(f"{where} contains control characters")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where} must be a whole number")
        if not low <= value <= high:
            raise self.fail(f"{where} must be between {low} and {high}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false")
        return value

    def key(self, value: Any, where: str) -> str:
        text = self.text(value, where, max_length=40)
        if not _KEY.match(text):
            raise self.fail(f"{where} '{text}' must be lower-case letters, digits and _")
        return text

    def strings(self, value: Any, where: str, choices: Iterable[str]) -> frozenset[str]:
        allowed = set(choices)
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list")
        result = set()
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                raise self.fail(f"{where}: unknown value {item!r}")
            result.add(item)
        return frozenset(result)

    def labels(self, value: Any, where: str) -> dict[str, str]:
        data = self.table(value, where, LANGUAGES)
        missing = [lang for lang in LANGUAGES if lang not in data]
        if missing:
            raise self.fail(f"{where}: missing language(s) {', '.join(missing)}")
        return {
            lang: self.text(data[lang], f"{where}.{lang}", max_length=MAX_LABEL_LENGTH)
            for lang in LANGUAGES
        }

    def authorised(self, data: Mapping[str, Any], where: str, permission: Perm) -> Authorised:
        roles = self.strings(data.get("roles", []), f"{where}.roles", [r.value for r in Role])
        types = self.strings(
            data.get("organisation_types", []),
            f"{where}.organisation_types",
            OrganisationType.values,
        )
        for role in sorted(roles):
            if not role_can(Role(role), permission):
                raise self.fail(f"{where}.roles: the role {role} lacks the {permission} permission")
        return Authorised(roles, types)


def load_lifecycle(path: Path | str, deployment: str = "") -> Lifecycle:
    """Read and check one lifecycle file; LifecycleError("file: reason") when malformed.

    `deployment`: the deployment's country, whose public holidays count when the file names
    no calendar country.
    """
    path = Path(path)
    source = path.name
    read = _Reader(source)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise read.fail(f"cannot be read ({exc.strerror})") from exc
    if size > MAX_FILE_BYTES:
        raise read.fail(f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise read.fail("is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise read.fail(f"is not valid TOML ({exc})") from exc
    return _parse(read, raw, path.stem.lower(), str(path), deployment.upper())


def _parse(
    read: _Reader, raw: dict[str, Any], name: str, source: str, deployment: str
) -> Lifecycle:
    read.table(raw, "the file", ("lifecycle", "calendar", "referral", "closure", "stages"))
    head = read.table(
        read.required(raw, "lifecycle", "the file"),
        "[lifecycle]",
        ("title", "entry_stage", "reminder_days", "adult_consent"),
    )
    title = read.text(read.required(head, "title", "[lifecycle]"), "[lifecycle].title")
    entry = read.key(read.required(head, "entry_stage", "[lifecycle]"), "[lifecycle].entry_stage")
    reminder_days = read.integer(
        head.get("reminder_days", 2), "[lifecycle].reminder_days", 0, MAX_REMINDER_DAYS
    )
    adult_consent = read.boolean(head.get("adult_consent", True), "[lifecycle].adult_consent")

    calendar = _parse_calendar(read, raw.get("calendar", {}))
    referral_data = read.table(
        read.required(raw, "referral", "the file"), "[referral]", ("roles", "organisation_types")
    )
    referral = read.authorised(referral_data, "[referral]", Perm.CASE_OPEN)

    stages_raw = read.required(raw, "stages", "the file")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise read.fail("[[stages]] must list at least one stage")
    stages = [_parse_stage(read, item, n) for n, item in enumerate(stages_raw, start=1)]
    keys = [s.key for s in stages]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise read.fail(f"stage key(s) used twice: {', '.join(duplicates)}")
    by_key = {s.key: s for s in stages}

    closure = _parse_closure(read, read.required(raw, "closure", "the file"))
    _check_graph(read, by_key, entry, closure)
    # A file without a calendar country (the default) counts the deployment's public holidays,
    # when the holidays package knows the country; otherwise weekends and extra dates only.
    country = calendar.country
    if not country and re.fullmatch(r"[A-Z]{2}", deployment):
        country = deployment if _holidays_supported(deployment) else ""
    return Lifecycle(
        name=name,
        source=source,
        title=title,
        country=country,
        entry_stage=entry,
        reminder_days=reminder_days,
        adult_consent=adult_consent,
        referral=referral,
        stages=tuple(stages),
        calendar_rule=calendar,
        closure=closure,
    )


def _holidays_supported(country: str) -> bool:
    import holidays

    try:
        holidays.country_holidays(country, years=2000)
    except (NotImplementedError, KeyError):
        return False
    return True


def _parse_calendar(read: _Reader, data: Any) -> CalendarRule:
    data = read.table(data, "[calendar]", ("country", "subdivision", "weekend", "extra_holidays"))
    country = read.text(data.get("country", ""), "[calendar].country", max_length=2, empty=True)
    country = country.upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise read.fail("[calendar].country must be an ISO 3166 alpha-2 code")
    subdivision = read.text(
        data.get("subdivision", ""), "[calendar].subdivision", max_length=10, empty=True
    )
    if subdivision and not country:
        raise read.fail("[calendar].subdivision needs [calendar].country")
    if country:
        import holidays

        try:
            holidays.country_holidays(country, subdiv=subdivision or None, years=2000)
        except NotImplementedError as exc:
            raise read.fail(f"[calendar].country: no public holidays known for {country}") from exc
        except KeyError as exc:
            raise read.fail(f"[calendar].subdivision: unknown for {country}") from exc
    weekend_names = read.strings(
        data.get("weekend", ["saturday", "sunday"]), "[calendar].weekend", _WEEKDAYS
    )
    weekend = frozenset(_WEEKDAYS[n] for n in weekend_names)
    if len(weekend) >= 7:
        raise read.fail("[calendar].weekend leaves no working day")
    extra_raw = data.get("extra_holidays", [])
    if not isinstance(extra_raw, list):
        raise read.fail("[calendar].extra_holidays must be a list of dates")
    extra: set[datetime.date] = set()
    for item in extra_raw:
        if isinstance(item, datetime.datetime) or not isinstance(item, (datetime.date, str)):
            raise read.fail(f"[calendar].extra_holidays: {item!r} is not a date")
        if isinstance(item, str):
            try:
                item = datetime.date.fromisoformat(item)
            except ValueError as exc:
                raise read.fail(f"[calendar].extra_holidays: {item!r} is not a date") from exc
        extra.add(item)
    return CalendarRule(country, subdivision, weekend, frozenset(extra))


def _parse_deadline(read: _Reader, data: Any, where: str) -> DeadlineRule:
    data = read.table(data, where, ("working_days", "calendar_days"))
    if ("working_days" in data) == ("calendar_days" in data):
        raise read.fail(f"{where} needs exactly one of working_days or calendar_days")
    if "working_days" in data:
        days = read.integer(data["working_days"], f"{where}.working_days", 1, MAX_DEADLINE_DAYS)
        return DeadlineRule(days, working=True)
    days = read.integer(data["calendar_days"], f"{where}.calendar_days", 1, MAX_DEADLINE_DAYS)
    return DeadlineRule(days, working=False)


def _parse_stage(read: _Reader, data: Any, n: int) -> Stage:
    where = f"[[stages]] #{n}"
    data = read.table(
        data,
        where,
        (
            "key",
            "order",
            "labels",
            "status",
            "deadline",
            "minimum_days",
            "recovery",
            "decision",
            "next",
        ),
    )
    key = read.key(read.required(data, "key", where), f"{where}.key")
    where = f"stage '{key}'"
    order = read.integer(read.required(data, "order", where), f"{where}.order", 0, 10_000)
    labels = read.labels(read.required(data, "labels", where), f"{where}.labels")
    status = read.text(read.required(data, "status", where), f"{where}.status", max_length=20)
    if status not in CaseStatus.values:
        raise read.fail(f"{where}.status must be one of {', '.join(CaseStatus.values)}")
    deadline = (
        _parse_deadline(read, data["deadline"], f"{where}.deadline") if "deadline" in data else None
    )
    minimum = read.integer(
        data.get("minimum_days", 0), f"{where}.minimum_days", 0, MAX_DEADLINE_DAYS
    )
    recovery = read.boolean(data.get("recovery", False), f"{where}.recovery")
    if recovery and minimum < MIN_RECOVERY_DAYS:
        raise read.fail(
            f"{where}.minimum_days: a recovery period lasts at least {MIN_RECOVERY_DAYS} days"
        )
    decision = None
    if "decision" in data:
        dwhere = f"{where}.decision"
        ddata = read.table(
            data["decision"],
            dwhere,
            ("key", "labels", "roles", "organisation_types", "positive", "negative"),
        )
        decision = DecisionRule(
            key=read.key(read.required(ddata, "key", dwhere), f"{dwhere}.key"),
            labels=read.labels(read.required(ddata, "labels", dwhere), f"{dwhere}.labels"),
            deciders=read.authorised(ddata, dwhere, Perm.CASE_DECIDE),
            positive=read.key(read.required(ddata, "positive", dwhere), f"{dwhere}.positive"),
            negative=read.key(read.required(ddata, "negative", dwhere), f"{dwhere}.negative"),
        )
        if not decision.deciders.roles and not decision.deciders.organisation_types:
            raise read.fail(f"{dwhere} must name the roles or organisation types that decide")
    next_stage = read.key(data["next"], f"{where}.next") if "next" in data else ""
    return Stage(
        key=key,
        order=order,
        labels=labels,
        status=status,
        deadline=deadline,
        minimum_days=minimum,
        recovery=recovery,
        decision=decision,
        next=next_stage,
    )


def _parse_closure(read: _Reader, data: Any) -> ClosureRule:
    data = read.table(
        data, "[closure]", ("stage", "reasons", "reopen", "reopen_stage", "reopen_within_days")
    )
    stage = read.key(read.required(data, "stage", "[closure]"), "[closure].stage")
    reasons_raw = read.required(data, "reasons", "[closure]")
    reasons = read.strings(reasons_raw, "[closure].reasons", ClosureReason.values)
    if not reasons:
        raise read.fail("[closure].reasons must list at least one reason")
    reopen = read.boolean(data.get("reopen", False), "[closure].reopen")
    reopen_stage = ""
    within = 0
    if reopen:
        reopen_stage = read.key(
            read.required(data, "reopen_stage", "[closure]"), "[closure].reopen_stage"
        )
        within = read.integer(
            data.get("reopen_within_days", 365), "[closure].reopen_within_days", 1, 3650
        )
    ordered = tuple(r for r in ClosureReason.values if r in reasons)
    return ClosureRule(stage, ordered, reopen, reopen_stage, within)


def _check_graph(read: _Reader, stages: dict[str, Stage], entry: str, closure: ClosureRule) -> None:
    def must_exist(key: str, where: str) -> Stage:
        if key not in stages:
            raise read.fail(f"{where}: there is no stage '{key}'")
        return stages[key]

    entry_stage = must_exist(entry, "[lifecycle].entry_stage")
    closed = must_exist(closure.stage, "[closure].stage")
    if not closed.is_closed:
        raise read.fail(f"[closure].stage '{closed.key}' must have status Closed")
    if closed.decision is not None or closed.next or closed.deadline is not None:
        raise read.fail(
            f"stage '{closed.key}': the closure stage has no decision, next or deadline"
        )
    if entry_stage.is_closed:
        raise read.fail("[lifecycle].entry_stage must not be a closed stage")
    if closure.reopen:
        reopen = must_exist(closure.reopen_stage, "[closure].reopen_stage")
        if reopen.is_closed:
            raise read.fail("[closure].reopen_stage must not be a closed stage")
    recovery = [s for s in stages.values() if s.recovery]
    if len(recovery) != 1:
        raise read.fail("exactly one stage must be the recovery period (recovery = true)")
    for stage in stages.values():
        where = f"stage '{stage.key}'"
        if stage.is_closed and stage.key != closed.key:
            raise read.fail(f"{where}: only the closure stage may have a closed status")
        if stage.next:
            target = must_exist(stage.next, f"{where}.next")
            if target.key == stage.key:
                raise read.fail(f"{where}.next must be another stage")
            if target.is_closed:
                raise read.fail(f"{where}.next: close a case with a reason, not by 'next'")
        if stage.decision is not None:
            must_exist(stage.decision.positive, f"{where}.decision.positive")
            must_exist(stage.decision.negative, f"{where}.decision.negative")
    decision_keys = [s.decision.key for s in stages.values() if s.decision is not None]
    if len(decision_keys) != len(set(decision_keys)):
        raise read.fail("a decision key is used by two stages")


# --- which file applies ----------------------------------------------------------------------


def lifecycle_path(country: str) -> Path:
    """The file for a country: lifecycles/<cc>.toml, or the default when there is none."""
    code = (country or "").strip().lower()
    if re.fullmatch(r"[a-z]{2}", code):
        candidate = LIFECYCLE_DIR / f"{code}.toml"
        if candidate.is_file():
            return candidate
    return LIFECYCLE_DIR / f"{DEFAULT_NAME}.toml"


@cache
def _load_cached(path: str, country: str) -> Lifecycle:
    # The country is part of the key: the default file takes the deployment's holidays.
    return load_lifecycle(path, country)


def lifecycle_for(country: str) -> Lifecycle:
    """The lifecycle a case of this deployment country follows."""
    return _load_cached(str(lifecycle_path(country)), (country or "").upper())


def deployment_country() -> str:
    return str(getattr(settings, "PALERMO_COUNTRY", "") or "").upper()


def lifecycle_in_force() -> Lifecycle:
    """The lifecycle for PALERMO_COUNTRY (the default file when the country has none)."""
    return lifecycle_for(deployment_country())


def clear_cache() -> None:
    """Forget loaded files (tests that change PALERMO_COUNTRY or the files)."""
    _load_cached.cache_clear()
    _working_calendar.cache_clear()


def available_lifecycles() -> list[Path]:
    return sorted(LIFECYCLE_DIR.glob("*.toml"))
