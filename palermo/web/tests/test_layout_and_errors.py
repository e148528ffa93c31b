"""The layout, error pages and security headers, through HTTP."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from palermo.accounts.roles import Role
from palermo.testing import member, signed_in_client


def _boom(request):
    raise RuntimeError("deliberate failure")


urlpatterns = [path("boom/", _boom)]
handler500 = "palermo.web.views.server_error"


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_unknown_page_gets_the_custom_404_with_a_request_id():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert response["X-Request-ID"] in body


@pytest.mark.django_db
def test_server_error_page_is_ours_and_reveals_nothing():
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "deliberate failure" not in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_expired_form_gets_the_custom_csrf_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Your form expired" in response.content.decode()


@pytest.mark.django_db
def test_security_headers_forbid_inline_script_and_framing():
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()
    assert " style=" not in response.content.decode()


@pytest.mark.django_db
def test_language_switcher_changes_the_page_language():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "uk", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert '<html lang="uk"' in page.content.decode()
    assert page["Content-Language"] == "uk"


@pytest.mark.django_db
def test_navigation_shows_only_what_the_role_may_use():
    researcher = signed_in_client_for(Role.RESEARCHER)
    body = researcher.get("/").content.decode()
    assert 'href="/people/"' not in body
    case_worker = signed_in_client_for(Role.CASE_WORKER)
    body = case_worker.get("/").content.decode()
    assert 'href="/people/"' in body
    assert 'aria-label="Main"' in body


def signed_in_client_for(role: Role) -> Client:
    membership = member(role)
    if role == Role.RESEARCHER:
        client = Client()
        client.force_login(membership.user)
        return client
    return signed_in_client(membership)


@pytest.mark.django_db
def test_pages_for_a_signed_in_user_are_never_stored_by_the_browser():
    client = signed_in_client(member(Role.CASE_WORKER))
    response = client.get("/people/")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_only_the_longest_matching_navigation_entry_is_current():
    case_worker = signed_in_client_for(Role.CASE_WORKER)
    body = case_worker.get("/cases/dashboard/").content.decode()
    nav = body.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    # Only the longest matching entry is marked current: the dashboard, not "Cases" too.
    assert nav.count('aria-current="page"') == 1
    assert 'href="/cases/dashboard/" aria-current="page"' in body
