import re
from base64 import b32encode, b64decode
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from staffauth.tests.conftest import app_code

VERIFY_URL = reverse("staffauth:verify")
SETUP_URL = reverse("staffauth:setup")
CHANGELIST = reverse("admin:tickets_ticket_changelist")


def admin_pages() -> list[str]:
    """The admin's index and every registered model's changelist and add page."""
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages += [reverse("admin:{}_{}_changelist".format(*info))]
        pages += [reverse("admin:{}_{}_add".format(*info))]
    return pages


def code_post(client, url, code, *, next_url=CHANGELIST):
    return client.post(f"{url}?next={quote(next_url)}", {"code": code})


def recovery_codes_shown(client, response) -> list[str]:
    page = client.get(response["Location"])
    return re.findall(r"<li><code>(\w+)</code></li>", page.text)


@pytest.mark.parametrize("url", admin_pages())
def test_unverified_staff_is_sent_from_every_admin_page_to_give_a_code(
    admin_client, admin_user, make_device, two_factor, url
):
    make_device(admin_user)

    response = admin_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY_URL}?next={quote(url, safe='')}"


def test_unverified_agent_is_sent_from_the_ticket_changelist_to_give_a_code(
    agent_client, agent, make_device, two_factor
):
    make_device(agent)

    response = agent_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY_URL}?next=")


def test_staff_without_a_device_is_sent_to_set_one_up(agent_client, two_factor):
    response = agent_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP_URL}?next=")


def test_unverified_staff_is_sent_from_the_help_page_too(agent_client, agent, seed, two_factor):
    # The help page shows staff hidden content; a password alone must not show it.
    response = agent_client.get(reverse("faq:help_page"))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP_URL}?next=")


def test_anonymous_visitor_reaches_the_help_page_with_two_factor_on(client, seed, two_factor):
    response = client.get(reverse("faq:help_page"))

    assert response.status_code == 200


def test_logged_in_non_staff_user_reaches_the_help_page_with_two_factor_on(
    django_user_model, seed, two_factor
):
    client = Client()
    client.force_login(django_user_model.objects.create_user("kunde", password="x"))

    response = client.get(reverse("faq:help_page"))

    assert response.status_code == 200


def test_unverified_staff_can_log_out(agent_client, two_factor):
    response = agent_client.post(reverse("admin:logout"))

    assert response.status_code == 200
    assert "_auth_user_id" not in agent_client.session


def test_wrong_code_is_refused_and_the_admin_stays_closed(
    agent_client, agent, make_device, two_factor
):
    device = make_device(agent)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"

    response = code_post(agent_client, VERIFY_URL, wrong)

    assert response.status_code == 200
    assert "Koden er ikke riktig" in response.text
    assert agent_client.get(CHANGELIST).status_code == 302


def test_right_app_code_lets_the_agent_into_the_ticket_changelist(
    agent_client, agent, make_device, two_factor
):
    device = make_device(agent)

    response = code_post(agent_client, VERIFY_URL, app_code(device))

    assert response.status_code == 303
    assert response["Location"] == CHANGELIST
    assert agent_client.get(CHANGELIST).status_code == 200


def test_the_same_app_code_is_refused_the_second_time(agent, make_device, two_factor):
    device = make_device(agent)
    code = app_code(device)
    first, second = Client(), Client()
    first.force_login(agent)
    second.force_login(agent)

    assert code_post(first, VERIFY_URL, code).status_code == 303
    assert code_post(second, VERIFY_URL, code).status_code == 200


def test_recovery_code_lets_in_once(agent, two_factor):
    setup_client = Client()
    setup_client.force_login(agent)
    device = TOTPDevice.objects.create(user=agent, confirmed=False)
    codes = recovery_codes_shown(setup_client, code_post(setup_client, SETUP_URL, app_code(device)))
    first, second = Client(), Client()
    first.force_login(agent)
    second.force_login(agent)

    accepted = code_post(first, VERIFY_URL, codes[0].upper())
    refused = code_post(second, VERIFY_URL, codes[0])

    assert accepted.status_code == 303
    assert first.get(CHANGELIST).status_code == 200
    assert refused.status_code == 200
    assert second.get(CHANGELIST).status_code == 302
    assert StaticToken.objects.filter(device__user=agent).count() == 9


def test_setup_shows_a_qr_code_of_the_key_and_the_key_itself(agent_client, agent, two_factor):
    response = agent_client.get(SETUP_URL)

    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    qr_code = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', response.text)
    key = b32encode(device.bin_key).decode()
    assert response.status_code == 200
    assert b64decode(qr_code[1]).startswith(b"<?xml")
    assert b"<svg" in b64decode(qr_code[1])
    assert " ".join(re.findall("....", key)) in response.text
    assert "Sekvens%20Hjelp" in device.config_url


def test_setup_keeps_the_same_key_until_it_is_confirmed(agent_client, agent, two_factor):
    agent_client.get(SETUP_URL)
    agent_client.get(SETUP_URL)

    assert TOTPDevice.objects.filter(user=agent).count() == 1


def test_setup_with_the_apps_code_confirms_it_and_shows_ten_recovery_codes_once(
    agent_client, agent, two_factor
):
    agent_client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=agent)

    response = code_post(agent_client, SETUP_URL, app_code(device))

    assert response.status_code == 303
    codes = recovery_codes_shown(agent_client, response)
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=agent).confirmed
    assert agent_client.get(CHANGELIST).status_code == 200
    assert agent_client.get(response["Location"])["Location"] == CHANGELIST


def test_setup_with_a_wrong_code_confirms_nothing(agent_client, agent, two_factor):
    agent_client.get(SETUP_URL)

    response = code_post(agent_client, SETUP_URL, "000000x")

    assert response.status_code == 200
    assert "Koden er ikke riktig" in response.text
    assert not TOTPDevice.objects.get(user=agent).confirmed


def test_setup_is_refused_to_a_password_alone_once_a_device_exists(
    agent_client, agent, make_device, two_factor
):
    make_device(agent)

    response = agent_client.get(SETUP_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY_URL}?next=")
    assert TOTPDevice.objects.filter(user=agent).count() == 1


def test_next_address_on_another_site_is_ignored(agent_client, agent, make_device, two_factor):
    device = make_device(agent)

    response = code_post(
        agent_client, VERIFY_URL, app_code(device), next_url="https://evil.example/"
    )

    assert response["Location"] == reverse("admin:index")


def test_code_pages_send_a_non_staff_user_to_the_admin_login(django_user_model, two_factor):
    client = Client()
    client.force_login(django_user_model.objects.create_user("kunde", password="x"))

    response = client.get(VERIFY_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_password_then_code_through_the_admin_login_reaches_the_admin(
    client, admin_user, make_device, two_factor
):
    device = make_device(admin_user)
    login = client.post(
        reverse("admin:login"),
        {"username": "admin", "password": "password", "next": CHANGELIST},
    )
    sent_to_verify = client.get(login["Location"])

    response = client.post(sent_to_verify["Location"], {"code": app_code(device)})

    assert login["Location"] == CHANGELIST
    assert sent_to_verify["Location"] == f"{VERIFY_URL}?next={quote(CHANGELIST, safe='')}"
    assert response["Location"] == CHANGELIST
    assert client.get(CHANGELIST).status_code == 200
