"""Two live Palermo deployments on loopback exchange a referral over HTTPS.

Each deployment is its own set of processes with the production settings: its own SQLite
database file, its own vault key file and partner key file, its own gunicorn server (the
production server of `palermo serve`, here terminating TLS itself with a certificate from a
throw-away CA made for the test; each verifies the other's certificate against that CA), and
its own `palermo worker --once` runs for the background deliveries. The administrators
exchange keys with `palermo partner keys` / `palermo partner add`; a case worker in A refers a
person to B; B's case worker accepts through B's API with a token; the status comes back to A;
a referral that A revokes is erased in B.
On the way: a tampered package, a replayed package and a package from an unknown sender are
refused by B, logged, and leave nothing behind.

Both deployments use SQLite files whatever database the rest of the test run uses (the
PostgreSQL run included): the test's own database is not touched.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from palermo.partners import packages

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
SERVER = """
import os, django
django.setup()
from palermo.web.management.commands.serve import PalermoServer
PalermoServer({
    "bind": [os.environ["LOOPBACK_BIND"]], "workers": 1, "threads": 4,
    "worker_class": "gthread", "timeout": 30, "graceful_timeout": 2,
    "certfile": os.environ["LOOPBACK_CERT"], "keyfile": os.environ["LOOPBACK_KEY"],
    "accesslog": "-", "errorlog": "-", "proc_name": "palermo-loopback",
}).run()
"""


# --- a throw-away CA and a certificate for 127.0.0.1 ---------------------------------------


def _make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Palermo loopback test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- one deployment ---------------------------------------------------------------------------

# The test session's own variables that must not leak into a deployment.
_DROPPED = (
    "PALERMO_KEYS",
    "PALERMO_INDEX_KEY",
    "PALERMO_ACTIVE_KEY_ID",
    "PALERMO_TEST_DB",
    "PALERMO_TEST_DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
)


@dataclass
class Deployment:
    name: str
    directory: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    key_string: str = ""

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def _deployment(name: str, base: Path, ca: Path, cert: Path, key: Path, country: str) -> Deployment:
    directory = base / name
    directory.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{directory / 'palermo.sqlite3'}",
            "PALERMO_VAR_DIR": str(directory),
            "PALERMO_KEY_FILE": str(directory / "keys.json"),
            "PALERMO_PARTNER_KEY_FILE": str(directory / "partner-keys.json"),
            "PALERMO_PARTNER_CA_BUNDLE": str(ca),
            "PALERMO_AUDIT_ANCHOR_FILE": str(directory / "audit-anchors.log"),
            "PALERMO_COUNTRY": country,
            "PALERMO_LOG_LEVEL": "WARNING",
            "LOOPBACK_BIND": f"127.0.0.1:{port}",
            "LOOPBACK_CERT": str(cert),
            "LOOPBACK_KEY": str(key),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return Deployment(name=name, directory=directory, port=port, env=env)


def _tls(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def _request(
    url: str,
    ca: Path,
    *,
    method: str = "GET",
    body: bytes | None = None,
    token: str = "",
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, context=_tls(ca), timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _wait_until_serving(deployment: Deployment, ca: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert deployment.server is not None
        if deployment.server.poll() is not None:
            output = (deployment.directory / "server.log").read_text(errors="replace")
            raise AssertionError(f"{deployment.name} stopped: {output[-3000:]}")
        try:
            status, _body = _request(f"{deployment.url}/partners/inbox/", ca)
            if status == 405:  # the inbox answers POST only: the server is up
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{deployment.name} did not start serving")


def _in_background(
    deployment: Deployment, name: str, command: list[str]
) -> subprocess.Popen[bytes]:
    # Output to a file, not a pipe: a full pipe would stall the server.
    log = (deployment.directory / f"{name}.log").open("wb")
    return subprocess.Popen(  # noqa: S603
        command, env=deployment.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _query(deployment: Deployment, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the deployment's database file directly (read-only; WAL lets us beside it)."""
    path = deployment.directory / "palermo.sqlite3"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
    try:
        return list(connection.execute(sql, params))
    finally:
        connection.close()


def _hex(public_id: str) -> str:
    return public_id.replace("-", "")


def _referral_state(deployment: Deployment, public_id: str) -> str:
    rows = _query(
        deployment, "SELECT state FROM referrals_referral WHERE public_id = ?", _hex(public_id)
    )
    return str(rows[0][0])


def _wait_for(what: str, check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _refusals(deployment: Deployment) -> list[dict[str, Any]]:
    rows = _query(
        deployment,
        "SELECT details FROM audit_auditevent WHERE action = 'partner.package_refused' "
        "ORDER BY sequence",
    )
    return [json.loads(row[0]) for row in rows]


def _count(deployment: Deployment, table: str) -> int:
    return int(_query(deployment, f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608


@pytest.fixture
def two_deployments(tmp_path: Path) -> Iterator[tuple[Deployment, Deployment, Path]]:
    ca, cert, key = _make_certificates(tmp_path)
    a = _deployment("romania", tmp_path, ca, cert, key, "RO")
    b = _deployment("moldova", tmp_path, ca, cert, key, "MD")
    try:
        yield a, b, ca
    finally:
        for deployment in (a, b):
            _stop(deployment.server)
            _stop(deployment.worker)
        shutil.rmtree(tmp_path / "romania", ignore_errors=True)
        shutil.rmtree(tmp_path / "moldova", ignore_errors=True)


def _parallel(*calls: tuple[Deployment, list[str]]) -> list[subprocess.CompletedProcess[str]]:
    running = [
        (
            d,
            subprocess.Popen(  # noqa: S603
                c, env=d.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
        for d, c in calls
    ]
    done = []
    for deployment, process in running:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"{deployment.name} {process.args}: {out}\n{err[-4000:]}"
        done.append(subprocess.CompletedProcess(process.args, 0, out, err))
    return done


def _helper(action: str, *args: str) -> list[str]:
    return [PYTHON, "-c", "from palermo.partners.tests.loopback import main; main()", action, *args]


def _manage(*args: str) -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), *args]


def _json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_referral_travels_between_two_live_deployments_and_its_answers_come_back(
    two_deployments: tuple[Deployment, Deployment, Path],
) -> None:
    a, b, ca = two_deployments

    # 1. Each operator sets up their server (vault keys, database, `partner keys --init`); the
    #    administrators exchange key strings and register each other with `palermo partner
    #    add`, which prints the fingerprint they compare on the phone.
    sender, receiver = (
        _json(d) for d in _parallel((a, _helper("sender-setup")), (b, _helper("receiver-setup")))
    )
    a.key_string, b.key_string = sender["key_string"], receiver["key_string"]
    for deployment in (a, b):
        mode = (deployment.directory / "partner-keys.json").stat().st_mode & 0o777
        assert mode == 0o600
    added_at_a, added_at_b = _parallel(
        (a, _manage("partner", "add", "--name", "Palermo Moldova", "--url", b.url,
                    "--public-key", b.key_string, "--country", "MD")),
        (b, _manage("partner", "add", "--name", "Palermo Romania", "--url", a.url,
                    "--public-key", a.key_string, "--country", "RO",
                    "--receiving-organisation", "Casa Speranței")),
    )  # fmt: skip
    assert packages.parse_key_string(b.key_string).short_fingerprint in added_at_a.stdout
    assert packages.parse_key_string(a.key_string).short_fingerprint in added_at_b.stdout

    # 2. Both servers run (gunicorn, the production server, with TLS); A's case worker refers
    #    the person to B twice. The packages wait for A's worker, which is not running yet.
    for deployment in (a, b):
        deployment.server = _in_background(deployment, "server", [PYTHON, "-c", SERVER])
    referred = _json(_parallel((a, _helper("refer", *sender["cases"], "Palermo Moldova")))[0])
    first, second = referred["referrals"]
    wire = referred["wire"].encode()
    for deployment in (a, b):
        _wait_until_serving(deployment, ca)

    # 3. The first package as it travels: B accepts it once. The same bytes again are a replay;
    #    a tampered copy and a package from a deployment B never registered are refused. Every
    #    refusal is logged, and leaves nothing behind.
    inbox = f"{b.url}/partners/inbox/"
    envelope = json.loads(wire)
    tampered = dict(envelope)
    ciphertext = bytearray(packages.from_b64url(envelope["ciphertext"]))
    ciphertext[10] ^= 0x40
    tampered["ciphertext"] = packages.b64url(bytes(ciphertext))
    status, answer = _request(inbox, ca, method="POST", body=packages.encode(tampered))
    assert (status, answer["error"]["code"]) == (403, "bad_signature")
    assert _count(b, "partners_incomingreferral") == _count(b, "partners_receivedpackage") == 0

    status, answer = _request(inbox, ca, method="POST", body=wire)
    assert (status, answer["status"]) == (202, "accepted")
    status, answer = _request(inbox, ca, method="POST", body=wire)
    assert (status, answer["error"]["code"]) == (409, "replay")

    stranger = packages.DeploymentKeys.generate()
    unknown = packages.seal(
        kind="referral",
        payload={"payload_version": 1},
        sender=stranger,
        recipient=packages.parse_key_string(b.key_string),
        now=datetime.datetime.now(datetime.UTC),
    )
    status, answer = _request(inbox, ca, method="POST", body=packages.encode(unknown))
    assert (status, answer["error"]["code"]) == (403, "unknown_sender")

    assert _count(b, "partners_incomingreferral") == _count(b, "partners_receivedpackage") == 1
    refusals = _refusals(b)
    assert [r["reason"] for r in refusals] == ["bad_signature", "replay", "unknown_sender"]
    assert refusals[0]["package_id"] == refusals[1]["package_id"] == envelope["package_id"]
    assert refusals[2]["sender_key"] == stranger.public.signing_b64
    # Logged with reasons, ids and keys: nothing about the person.
    logged = json.dumps(refusals)
    assert "Olena" not in logged and "Kovalenko" not in logged

    # 4. A's worker delivers both packages over verified TLS: the first B already has (a copy
    #    got there), which counts as delivered without storing it twice; the second is new.
    for deployment in (a, b):
        deployment.worker = _in_background(
            deployment, "worker", _manage("worker", "--no-periodic", "--interval", "0.2")
        )

    def delivered(deployment: Deployment, expected: int) -> bool:
        rows = _query(deployment, "SELECT state FROM partners_outboundpackage")
        return len(rows) == expected and all(state == "delivered" for (state,) in rows)

    _wait_for("A's packages delivered", lambda: delivered(a, 2))
    assert _count(b, "partners_incomingreferral") == 2
    assert _query(a, "SELECT attempts, last_status FROM partners_outboundpackage ORDER BY id") == [
        (1, 409),
        (1, 202),
    ]

    # 5. B's case worker reads the first referral through B's API: only what was shared.
    token = receiver["token"]
    status, listing = _request(f"{b.url}/api/partners/incoming", ca, token=token)
    assert status == 200 and len(listing) == 2
    by_reference = {row["remote_reference"]: row for row in listing}
    incoming = by_reference["R-" + _hex(first["referral"])[:8].upper()]
    other = by_reference["R-" + _hex(second["referral"])[:8].upper()]
    assert incoming["sender_organisation"] == "Centrul Regional Iași"
    assert incoming["shared_groups"] == ["contact", "identity"]
    status, detail = _request(f"{b.url}/api/partners/incoming/{incoming['id']}", ca, token=token)
    assert status == 200
    person = detail["person_fields"]
    assert person["first_name"] == "Olena" and person["mobile_phone"] == "+40721000111"
    # Location was not shared, nor the narrative (the case summary): they never left A.
    assert "mailing_street" not in person and "mailing_city" not in person
    assert detail["case_summary"] == ""
    assert detail["answers"] == ["accept", "decline"]
    status, detail = _request(f"{b.url}/api/partners/incoming/{other['id']}", ca, token=token)
    assert set(detail["person_fields"]) == {
        "first_name",
        "second_name",
        "birthdate",
        "gender",
        "citizenship",
    }

    # 6. B accepts: a person (the shared fields only) and a case are created in B, and the
    #    answer travels back to A as a signed, encrypted status package.
    status, accepted = _request(
        f"{b.url}/api/partners/incoming/{incoming['id']}/accept",
        ca, method="POST", body=b'{"consent_confirmed": true}', token=token,
    )  # fmt: skip
    assert status == 200, accepted
    assert accepted["state"] == "accepted" and accepted["case"] and accepted["person"]
    status, person_here = _request(f"{b.url}/api/people/{accepted['person']}", ca, token=token)
    assert status == 200, person_here
    assert person_here["first_name"] == "Olena" and person_here["citizenship"] == ["UA"]
    assert person_here.get("mailing_street") is None
    _wait_for("A sees the acceptance", lambda: _referral_state(a, first["referral"]) == "accepted")

    # 7. Later: in progress, then done; the second referral is declined with a reason.
    for answer_name, expected in (("start", "in_progress"), ("done", "done")):
        status, body = _request(
            f"{b.url}/api/partners/incoming/{incoming['id']}/{answer_name}",
            ca, method="POST", body=b'{"note": ""}', token=token,
        )  # fmt: skip
        assert status == 200, body
        _wait_for(
            f"A sees {expected}", lambda e=expected: _referral_state(a, first["referral"]) == e
        )
    status, body = _request(
        f"{b.url}/api/partners/incoming/{other['id']}/decline",
        ca, method="POST", body=json.dumps({"note": "No lawyer free this month."}).encode(),
        token=token,
    )  # fmt: skip
    assert status == 200 and body["state"] == "declined"
    _wait_for("A sees the decline", lambda: _referral_state(a, second["referral"]) == "declined")
    _wait_for("B's answers delivered", lambda: delivered(b, 4))

    # 8. A refers the second person again, then revokes it (the person withdrew consent). The
    #    revocation travels signed and encrypted like the referral; B erases what it received,
    #    shows the reason and takes no answer any more.
    third = _json(_parallel((a, _helper("refer-again", sender["cases"][1], "Palermo Moldova")))[0])
    _wait_for("B has the third referral", lambda: _count(b, "partners_incomingreferral") == 3)
    status, listing = _request(f"{b.url}/api/partners/incoming", ca, token=token)
    [latest] = [row for row in listing if row["remote_reference"] not in by_reference]
    status, detail = _request(f"{b.url}/api/partners/incoming/{latest['id']}", ca, token=token)
    assert status == 200 and detail["person_fields"]["first_name"] == "Mihai"
    revoked = _json(
        _parallel((a, _helper("revoke", third["referral"], "She withdrew her consent.")))[0]
    )
    assert revoked == {"state": "revoked"}

    def revoked_at_b() -> bool:
        _status, seen = _request(f"{b.url}/api/partners/incoming/{latest['id']}", ca, token=token)
        return bool(seen["state"] == "revoked")

    _wait_for("B sees the revocation", revoked_at_b)
    status, detail = _request(f"{b.url}/api/partners/incoming/{latest['id']}", ca, token=token)
    assert detail["person_fields"] == {} and detail["answers"] == []
    assert detail["revocation_note"] == "She withdrew her consent." and detail["revoked_at"]
    stored = _query(
        b,
        "SELECT person_data FROM partners_incomingreferral WHERE public_id = ?",
        _hex(latest["id"]),
    )[0][0]
    assert "Mihai" not in stored
    status, body = _request(
        f"{b.url}/api/partners/incoming/{latest['id']}/decline",
        ca, method="POST", body=json.dumps({"note": "Too late."}).encode(), token=token,
    )  # fmt: skip
    assert status == 409, body
    _wait_for("A's revocation delivered", lambda: delivered(a, 4))
    assert _query(a, "SELECT kind FROM partners_outboundpackage ORDER BY id")[-1] == ("revocation",)

    # 9. In A, the referral's history names the partner; both audit logs verify.
    states = _parallel(
        (a, _helper("referral-state", first["referral"])),
        (a, _helper("referral-state", second["referral"])),
    )
    history = _json(states[0])
    assert [(e["from"], e["to"], e["label"]) for e in history["events"]] == [
        ("", "pending", ""),
        ("pending", "accepted", "Palermo Moldova"),
        ("accepted", "in_progress", "Palermo Moldova"),
        ("in_progress", "done", "Palermo Moldova"),
    ]
    assert _json(states[1])["response_note"] == "No lawyer free this month."
    for deployment in (a, b):
        _stop(deployment.worker)
    verified = _parallel((a, _helper("audit-verify")), (b, _helper("audit-verify")))
    assert all(_json(done) == {"verified": True} for done in verified)
