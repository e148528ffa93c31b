"""Loading the demo coalition into the database: organisations, users, persons, and the logins.

Organisations and users are upserted (the audit log refers to them, so they are kept, never
deleted); persons are bulk-inserted in chunks, one transaction per chunk. Everything a user
sees is derived from the seed: passwords, TOTP secrets and person plaintexts (only encryption
nonces, public ids and registration times differ between runs).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import importlib
import importlib.util
import os
import random
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tqdm import tqdm

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, User
from palermo.accounts.roles import ROLE_LABELS, requires_second_factor
from palermo.audit.models import AuditEvent
from palermo.audit.services import audit_record
from palermo.people.field_groups import person_blind_indexes
from palermo.people.models import Person
from palermo.vault.ciphers import VaultError
from palermo.vault.keys import index_key, keyring

from .bulk import BulkWriter
from .catalogue import DEMO_EMAIL_DOMAIN, ORGANISATIONS, USERS, DemoUser
from .persons import CHUNK, PersonGenerator, valid_fixed_line

DEFAULT_SEED = 2000  # the year of the Palermo Protocol
SIZES = {"small": 300, "large": 100_000}
LOAD_ACTION = "demo.load"
RESET_ACTION = "demo.reset"
_PASSWORD_WORDS = (
    "amber",
    "anchor",
    "apricot",
    "aspen",
    "atlas",
    "bamboo",
    "beacon",
    "birch",
    "bridge",
    "canyon",
    "cedar",
    "cobalt",
    "comet",
    "coral",
    "cotton",
    "crystal",
    "delta",
    "ember",
    "falcon",
    "fern",
    "fjord",
    "garnet",
    "glacier",
    "harbour",
    "hazel",
    "heron",
    "indigo",
    "island",
    "jasmine",
    "juniper",
    "kestrel",
    "lantern",
    "lilac",
    "linden",
    "maple",
    "meadow",
    "mosaic",
    "nectar",
    "nimbus",
    "oak",
    "ochre",
    "olive",
    "orchid",
    "pebble",
    "pepper",
    "pine",
    "quartz",
    "quill",
    "raven",
    "river",
    "saffron",
    "sage",
    "sparrow",
    "spruce",
    "summit",
    "thistle",
    "tide",
    "tulip",
    "umber",
    "valley",
    "violet",
    "walnut",
    "willow",
    "zephyr",
)


class DemoError(Exception):
    """The demo data cannot be loaded as asked; the message says why and what to do."""


def parse_cases(value: str | int | None) -> int:
    """A whole number of generated cases (0: none)."""
    if value in (None, ""):
        return 0
    try:
        cases = int(value)  # type: ignore[arg-type]
    except ValueError:
        raise DemoError(f"--cases must be a number, not {value!r}.") from None
    if cases < 0:
        raise DemoError("--cases cannot be negative.")
    return cases


def parse_size(value: str) -> int:
    """'small', 'large' or a whole number of persons."""
    if value in SIZES:
        return SIZES[value]
    try:
        size = int(value)
    except ValueError:
        raise DemoError(f"--size must be small, large or a number, not {value!r}.") from None
    if size < 0:
        raise DemoError("--size cannot be negative.")
    return size


def _derive(seed: int, purpose: str, username: str) -> bytes:
    key = f"palermo-demo:{seed}:{purpose}".encode()
    return hmac.new(key, username.encode(), hashlib.sha256).digest()


def demo_password(seed: int, username: str) -> str:
    """A memorable password, the same for a seed and user every time: 'cedar-tide-oak-maple-42'."""
    digest = _derive(seed, "password", username)
    words = [_PASSWORD_WORDS[b % len(_PASSWORD_WORDS)] for b in digest[:4]]
    return "-".join(words) + f"-{digest[4] % 90 + 10}"


def demo_totp_key(seed: int, username: str) -> str:
    """The hex TOTP key (20 bytes, as django-otp makes them) for a seed and user."""
    return _derive(seed, "totp", username)[:20].hex()


def base32_secret(hex_key: str) -> str:
    """What an authenticator app asks for: the key in base32, without padding."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode("ascii").rstrip("=")


def current_code(hex_key: str) -> str:
    """The 6-digit code an authenticator app shows now for this key (django-otp's defaults)."""
    return f"{totp(bytes.fromhex(hex_key), step=30, t0=0, digits=6):06d}"


@dataclass(frozen=True)
class Login:
    """One row of the logins table: a user's membership and how to sign in."""

    username: str
    role: str
    organisation: str
    password: str
    totp_secret: str  # base32; '' when the role signs in with a password alone
    code: str  # the current code, for convenience; '' without a second factor


@dataclass
class LoadResult:
    seed: int
    persons: int
    organisations: int
    users: int
    logins: list[Login]
    cases: int = 0
    already_loaded: bool = False
    seconds: float = 0.0
    by_citizenship: dict[str, int] = field(default_factory=dict)


def demo_organisations() -> list[Organisation]:
    """The demo organisations that exist in the database."""
    wanted = {(org.name, org.country) for org in ORGANISATIONS}
    countries = {country for _, country in wanted}
    return [
        org
        for org in Organisation.objects.filter(
            name__in=[name for name, _ in wanted], country__in=countries
        )
        if (org.name, org.country) in wanted
    ]


def demo_persons_count() -> int:
    return Person.objects.filter(owner_organisation__in=demo_organisations()).count()


def logins_for(seed: int) -> list[Login]:
    """The logins table for a seed, computed (nothing is read from the database)."""
    orgs = {org.key: org.name for org in ORGANISATIONS}
    rows: list[Login] = []
    with translation.override("en"):
        for spec in USERS:
            key = demo_totp_key(seed, spec.username) if _needs_second_factor(spec) else ""
            for org_key, role in spec.memberships:
                rows.append(
                    Login(
                        username=spec.username,
                        role=str(ROLE_LABELS[role]),
                        organisation=orgs[org_key],
                        password=demo_password(seed, spec.username),
                        totp_secret=base32_secret(key) if key else "",
                        code=current_code(key) if key else "",
                    )
                )
    return rows


def _needs_second_factor(spec: DemoUser) -> bool:
    return requires_second_factor({role for _, role in spec.memberships})


def format_logins(logins: Iterable[Login], seed: int) -> str:
    """The logins as a plain-text table."""
    header = ("username", "role", "organisation", "password", "TOTP secret (base32)", "code now")
    rows = [header] + [
        (
            row.username,
            row.role,
            row.organisation,
            row.password,
            row.totp_secret or "—",
            row.code or "—",
        )
        for row in logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    now = timezone.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    return "\n".join(
        [
            f"Palermo demo logins (seed {seed}; codes as of {now}, they change every 30 seconds)",
            "",
            *lines,
            "",
            "Safe Travel (/travel/, or SMS to a demo channel): demo traveller Mariana Lungu,",
            "phone +37369100204 (all demo travellers alike): PIN 246810, duress PIN 975312 (the",
            "duress PIN looks like the PIN but raises a silent alert to the hotline).",
            "",
            "Add the TOTP secret to an authenticator app (time-based, 6 digits, 30 s). Anyone who",
            "knows the seed can derive these logins: never load demo data next to real data.",
        ]
    )


def write_logins(text: str, path: Path | None = None) -> Path:
    """Write the logins table readable by its owner only (var/demo-logins.txt by default)."""
    path = path or Path(settings.VAR_DIR) / "demo-logins.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have had a wider mode
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return path


# Modules of later apps that add their own demo records (contacts, screenings, trips …).
# Each has `load_demo(context) -> dict[str, int]` (counts) and `reset_demo() -> None`, which
# must remove its rows before the demo persons they point at are deleted.
DEMO_EXTENSIONS = (
    "palermo.channels.demo",
    "palermo.intake.demo",
    "palermo.screening.demo",
    "palermo.safetravel.demo",
    "palermo.directory.demo",
    "palermo.cases.demo",
    "palermo.casefile.demo",
    "palermo.referrals.demo",
    "palermo.partners.demo",
)


@dataclass(frozen=True)
class DemoContext:
    """What an extension gets: the seed (for its own Random), and the rows just loaded."""

    seed: int
    size: int
    organisations: dict[str, Organisation]
    users: dict[str, User]
    progress: TextIO | None


def demo_extensions() -> list[tuple[str, Any]]:
    """The extension modules that exist (apps are added over time)."""
    found = []
    for name in DEMO_EXTENSIONS:
        try:
            if importlib.util.find_spec(name) is not None:
                found.append((name, importlib.import_module(name)))
        except ModuleNotFoundError:  # the app itself is not there yet
            continue
    return found


class DemoLoader:
    """Loads (or resets) the demo coalition for one seed."""

    def __init__(self, seed: int = DEFAULT_SEED, progress: TextIO | None = None) -> None:
        self.seed = seed
        self.progress = progress  # where the progress bar goes; None for none

    def _bar(self, total: int, description: str) -> tqdm[Any]:
        return tqdm(
            total=total,
            unit=" persons",
            desc=description,
            file=self.progress,
            disable=self.progress is None,
            smoothing=0.1,
        )

    # --- the whole job -----------------------------------------------------------------------

    def load(
        self, size: int, *, reset: bool = False, cases: int = 0, resume: bool = False
    ) -> LoadResult:
        """Load `size` persons (and `cases` generated cases), or do nothing if exactly this
        load is already there.

        Demo persons already present with another seed or size are refused unless `reset`, or
        `resume`: an interrupted load of the same seed continues where it stopped (persons
        and generated cases are written a transaction per chunk, in order), and a finished
        load of the same seed and size gets the generated cases it lacks.
        """
        started = time.monotonic()
        try:
            keyring(), index_key()  # fail before writing anything, with the vault's advice
        except VaultError as exc:
            raise DemoError(str(exc)) from exc
        existing = demo_persons_count()
        last = AuditEvent.objects.filter(action=LOAD_ACTION).order_by("-sequence").first()
        loaded = dict(last.details) if last is not None else {}
        finished_before = False
        if existing and not reset:
            same = loaded.get("seed") == self.seed and loaded.get("persons") == existing == size
            if same and int(loaded.get("cases", 0)) == cases and not resume:
                return LoadResult(
                    seed=self.seed,
                    persons=existing,
                    organisations=len(ORGANISATIONS),
                    users=len(USERS),
                    logins=logins_for(self.seed),
                    cases=cases,
                    already_loaded=True,
                )
            if not resume:
                described = f"{existing} persons" + (
                    f", seed {loaded['seed']}" if "seed" in loaded else ""
                )
                raise DemoError(
                    f"Demo data is already loaded ({described}). Run again with --reset to "
                    "delete the demo persons and load afresh, or with --resume to continue an "
                    "interrupted load of the same seed."
                )
            self.check_resumable(existing, size)
            finished_before = same  # the other apps' demo records are there already
        self.check_usernames()
        if reset:
            self.reset()
            existing = 0
        with transaction.atomic():
            organisations = self.load_organisations()
            users = self.load_users(organisations)
        by_citizenship = self.load_persons(size, organisations, users, skip=existing)
        case_counts: dict[str, int] = {}
        if cases:
            from .cases_bulk import load_cases

            try:
                case_counts = load_cases(self.seed, cases, organisations, size, self.progress)
            except ValueError as exc:
                raise DemoError(str(exc)) from exc
        extensions = (
            {}
            if finished_before
            else {
                name: extension.load_demo(
                    DemoContext(self.seed, size, organisations, users, self.progress)
                )
                for name, extension in demo_extensions()
            }
        )
        seconds = round(time.monotonic() - started, 1)
        # Bulk-created persons get no `person.create` event each: this one event records the
        # load, with counts, so the audit log still says where these rows came from.
        audit_record(
            actor=Actor.system("demo-data"),
            action=LOAD_ACTION,
            object_type="demo",
            details={
                "seed": self.seed,
                "persons": size,
                "cases": cases,
                "generated_rows": case_counts,
                "organisations": len(organisations),
                "users": len(users),
                "persons_by_citizenship": by_citizenship,
                "extensions": extensions,
                "seconds": seconds,
                "resumed": bool(resume and existing),
            },
        )
        return LoadResult(
            seed=self.seed,
            persons=size,
            organisations=len(organisations),
            users=len(users),
            logins=logins_for(self.seed),
            cases=cases,
            seconds=seconds,
            by_citizenship=by_citizenship,
        )

    def check_resumable(self, existing: int, size: int) -> None:
        """The persons there are the first `existing` persons of this seed's load of `size`."""
        if existing > size or (existing < size and existing % CHUNK):
            raise DemoError(
                f"{existing} demo persons are loaded, which is not where a load of {size} "
                "persons stops: run again with --reset."
            )
        first = (
            Person.objects.filter(owner_organisation__in=demo_organisations())
            .order_by("pk")
            .only("first_name", "second_name")
            .first()
        )
        expected = PersonGenerator(self.seed).chunk(0, 1)[0].values
        if first is None or (first.first_name, first.second_name) != (
            expected["first_name"],
            expected["second_name"],
        ):
            raise DemoError(
                "The demo persons loaded were made with another seed: run again with --reset."
            )

    def reset(self, batch: int = 5000) -> int:
        """Delete the demo persons, in batches; return how many. Users and organisations stay
        (the audit log refers to them); loading resets them to their seeded state."""
        for _name, extension in reversed(demo_extensions()):
            extension.reset_demo()
        from .cases_bulk import reset_cases

        reset_cases(demo_organisations(), self.progress)  # generated cases (--cases)
        queryset = Person.objects.filter(owner_organisation__in=demo_organisations())
        deleted = 0
        bar = self._bar(queryset.count(), "Deleting")
        try:
            while ids := list(queryset.values_list("pk", flat=True)[:batch]):
                with transaction.atomic():
                    # only("pk"): deleting need not decrypt every field of every row.
                    Person.objects.filter(pk__in=ids).only("pk").delete()
                deleted += len(ids)
                bar.update(len(ids))
        except ProtectedError as exc:
            raise DemoError(f"Some demo persons cannot be deleted: {exc.args[0]}") from exc
        finally:
            bar.close()
        audit_record(
            actor=Actor.system("demo-data"),
            action=RESET_ACTION,
            object_type="demo",
            details={"persons_deleted": deleted},
        )
        return deleted

    # --- organisations and users -------------------------------------------------------------

    @staticmethod
    def check_usernames() -> None:
        """Refuse to take over a user that is not a demo user but has a demo user's name."""
        existing = User.objects.filter(username__in=[spec.username for spec in USERS])
        taken = sorted(
            username
            for username, email in existing.values_list("username", "email")
            if email != f"{username}@{DEMO_EMAIL_DOMAIN}"
        )
        if taken:
            raise DemoError(
                f"These users exist and are not demo users: {', '.join(taken)}. Demo data "
                "would take them over, so nothing was loaded."
            )

    @transaction.atomic
    def load_organisations(self) -> dict[str, Organisation]:
        """Create or refresh the demo organisations; return them by catalogue key."""
        result: dict[str, Organisation] = {}
        for spec in ORGANISATIONS:
            rng = random.Random(f"palermo-demo:{self.seed}:org:{spec.key}")  # noqa: S311
            organisation, _ = Organisation.objects.update_or_create(
                name=spec.name,
                country=spec.country,
                defaults={
                    "org_type": spec.org_type,
                    "city": spec.city,
                    "is_active": True,
                    "phone": valid_fixed_line(rng, spec.country),
                },
            )
            result[spec.key] = organisation
        return result

    @transaction.atomic
    def load_users(self, organisations: dict[str, Organisation]) -> dict[str, User]:
        """Create or refresh the demo users, their memberships and their authenticators."""
        result: dict[str, User] = {}
        for spec in USERS:
            email = f"{spec.username}@{DEMO_EMAIL_DOMAIN}"
            user = User.objects.filter(username=spec.username).first()
            if user is not None and user.email != email:  # check_usernames() said why
                raise DemoError(f"{spec.username!r} is not a demo user.")
            user = user or User(username=spec.username)
            user.first_name, user.last_name, user.email = spec.first_name, spec.last_name, email
            user.preferred_language = spec.preferred_language
            user.is_active, user.failed_login_count, user.locked_until = True, 0, None
            password = demo_password(self.seed, spec.username)
            validate_password(password, user)
            user.set_password(password)
            user.save()
            wanted = {(organisations[key].pk, str(role)) for key, role in spec.memberships}
            for membership in user.memberships.all():
                if (membership.organisation_id, membership.role) not in wanted:
                    membership.delete()
            for organisation_id, role in wanted:
                Membership.objects.get_or_create(
                    user=user, organisation_id=organisation_id, role=role
                )
            TOTPDevice.objects.filter(user=user).delete()
            if _needs_second_factor(spec):
                TOTPDevice.objects.create(
                    user=user,
                    name="Authenticator app (demo)",
                    confirmed=True,
                    key=demo_totp_key(self.seed, spec.username),
                )
            result[spec.username] = user
        return result

    # --- persons -----------------------------------------------------------------------------

    def load_persons(
        self,
        size: int,
        organisations: dict[str, Organisation],
        users: dict[str, User],
        skip: int = 0,
    ) -> dict[str, int]:
        """Insert `size` persons, a transaction per chunk; return counts by citizenship.

        The first `skip` persons (whole chunks) are there already (a resumed load). Rows go
        through `BulkWriter`: COPY on PostgreSQL, with ids reserved per chunk so the
        assignments are written without reading anything back.
        """
        generator = PersonGenerator(self.seed)
        through = Person.assigned_users.through
        writer = BulkWriter()
        by_citizenship: Counter[str] = Counter()
        now = timezone.now()
        with self._bar(size, "Persons") as bar:
            for index, chunk in enumerate(generator.chunks(size)):
                by_citizenship.update(
                    c for item in chunk for c in (item.values["citizenship"] or ["none"])
                )
                if index * CHUNK + len(chunk) <= skip:
                    bar.update(len(chunk))
                    continue
                rows = []
                for item in chunk:
                    owner = organisations[item.owner]
                    created_by = users.get(item.created_by) if item.created_by else None
                    created_at = now - datetime.timedelta(seconds=item.registered_seconds_ago)
                    rows.append(
                        {
                            "owner_organisation_id": owner.pk,
                            "created_by_id": created_by.pk if created_by else None,
                            "created_at": created_at,
                            **item.values,
                            **person_blind_indexes(item.values, owner.country),
                        }
                    )
                with transaction.atomic():
                    for row, pk in zip(rows, writer.reserve_ids(Person, len(rows)), strict=True):
                        row["id"] = pk
                    writer.insert(Person, rows)
                    links = [
                        {"person_id": row["id"], "user_id": users[username].pk}
                        for row, item in zip(rows, chunk, strict=True)
                        for username in item.assigned
                    ]
                    for link, pk in zip(
                        links, writer.reserve_ids(through, len(links)), strict=True
                    ):
                        link["id"] = pk
                    writer.insert(through, links)
                bar.update(len(chunk))
        return dict(sorted(by_citizenship.items()))
