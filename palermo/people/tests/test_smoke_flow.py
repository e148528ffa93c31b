import pytest

from palermo.accounts.roles import Role
from palermo.people.models import Person
from palermo.testing import member, signed_in_client


@pytest.mark.django_db
def test_register_and_find_a_person_through_the_pages():
    membership = member(Role.CASE_WORKER)
    client = signed_in_client(membership)
    response = client.post(
        "/people/new/",
        {
            "first_name": "Олена",
            "second_name": "Коваленко",
            "birthdate": "1999-04-02",
            "gender": "Feminine",
            "mobile_phone": "+380 67 123 4567",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Person.objects.get()
    assert person.first_name == "Олена"
    found = client.get("/people/", {"q": "olena"})
    assert "Олена" in found.content.decode()
    found = client.get("/people/", {"q": "+380671234567"})
    assert person.reference in found.content.decode()
