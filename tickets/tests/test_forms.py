import re
import uuid

import pytest
from crispy_forms.utils import render_crispy_form

from faq.models import FormField
from faq.responses import form_token_new, form_token_read
from tickets.forms import ContactForm

HELP_FORM_FIELDS = (
    FormField(label="Navn", placeholder="Maria Holte", kind=FormField.Kind.TEXT),
    FormField(label="E-post", placeholder="post@din-epost.no", kind=FormField.Kind.EMAIL),
    FormField(label="Hva trenger du hjelp til?", kind=FormField.Kind.TEXTAREA),
)


def contact_form(*, is_same_origin=True, **overrides) -> ContactForm:
    data = {
        "name": "Kari Nordmann",
        "email": "kari@example.no",
        "message": "Fakturaen for mars mangler.",
        "token": str(uuid.uuid4()),
    }
    return ContactForm(
        data | overrides, form_fields=HELP_FORM_FIELDS, is_same_origin=is_same_origin
    )


def test_form_takes_labels_and_placeholders_from_the_help_form_block():
    form = ContactForm(form_fields=HELP_FORM_FIELDS)

    assert [form.fields[name].label for name in ["name", "email", "message"]] == [
        "Navn",
        "E-post",
        "Hva trenger du hjelp til?",
    ]
    assert form.fields["name"].widget.attrs["placeholder"] == "Maria Holte"
    assert form.fields["email"].widget.attrs["placeholder"] == "post@din-epost.no"


def test_customer_can_post_only_name_email_message_attachments_and_the_form_token():
    form = contact_form(status="closed", priority="urgent", assignee="1", source_page="9")

    assert form.is_valid()
    assert list(form.fields) == ["name", "email", "message", "token", "attachments", "website"]
    assert (form.instance.status, form.instance.priority) == ("new", "normal")


def test_new_form_carries_no_token_so_the_page_is_the_same_for_everyone():
    assert "token" not in ContactForm().initial


def test_form_from_an_unknown_origin_needs_a_signed_token():
    form = contact_form(is_same_origin=False)

    assert not form.is_valid()
    assert form.errors["token"]


def test_same_origin_form_without_a_token_sent_twice_gets_the_same_token():
    first, second = contact_form(token=""), contact_form(token="")

    assert first.is_valid() and second.is_valid()
    assert first.cleaned_data["token"] == second.cleaned_data["token"]


def test_sent_form_with_a_signed_token_is_cleaned_to_the_uuid_inside():
    token = form_token_new()

    form = contact_form(token=token)

    assert form.is_valid()
    assert form.cleaned_data["token"] == form_token_read(token)


def test_broken_token_is_renewed_with_a_signed_one():
    form = contact_form(token="ikke-en-uuid")
    form.is_valid()

    form.token_renew()

    assert form_token_read(form.data["token"])


def test_sent_form_keeps_the_token_it_was_sent_with():
    token = str(uuid.uuid4())

    form = contact_form(token=token)

    assert form.is_valid()
    assert form.cleaned_data["token"] == uuid.UUID(token)


@pytest.mark.parametrize("token", ["", "ikke-en-uuid"])
def test_form_without_a_valid_token_is_refused_from_an_unknown_origin(token):
    form = contact_form(token=token, is_same_origin=False)

    assert not form.is_valid()
    assert "token" in form.errors


@pytest.mark.parametrize("field", ["name", "email", "message"])
def test_empty_required_field_is_refused(field):
    form = contact_form(**{field: "  "})

    assert form.has_error(field, code="required")


def test_invalid_email_is_refused():
    form = contact_form(email="kari@")

    assert form.has_error("email", code="invalid")


def test_message_of_5000_characters_is_accepted():
    form = contact_form(message="x" * 5000)

    assert form.is_valid()


def test_message_over_5000_characters_is_refused():
    form = contact_form(message="x" * 5001)

    assert form.has_error("message", code="max_length")


@pytest.mark.parametrize(
    "name", ["Kari\nNordmann", "Kari\r\nBcc: alle@example.no", "Kari\tNordmann", "Kari\x07"]
)
def test_name_with_line_breaks_or_control_characters_is_refused(name):
    form = contact_form(name=name)

    assert form.has_error("name", code="control_characters")


def test_name_and_message_are_trimmed():
    form = contact_form(name="  Kari Nordmann \n", message="\n Fakturaen mangler. \n")

    assert form.is_valid()
    assert (form.cleaned_data["name"], form.cleaned_data["message"]) == (
        "Kari Nordmann",
        "Fakturaen mangler.",
    )


def test_message_keeps_its_line_breaks_and_tabs():
    message = "Hei,\r\n\r\nFakturaen mangler:\n\t- mars\n\t- april"

    form = contact_form(message=message)

    assert form.is_valid()
    assert form.cleaned_data["message"] == message


def test_message_with_other_control_characters_is_refused():
    form = contact_form(message="Fakturaen \x1b[31mmangler")

    assert form.has_error("message", code="control_characters")


def test_filled_in_honeypot_marks_the_form_as_spam():
    form = contact_form(website="https://billig.example.com")

    assert form.is_valid()
    assert form.is_spam()


def test_empty_honeypot_is_no_spam():
    form = contact_form(website="")

    assert form.is_valid()
    assert not form.is_spam()


def test_honeypot_is_hidden_from_people_and_screen_readers():
    form = ContactForm(form_fields=HELP_FORM_FIELDS)

    html = render_crispy_form(form)

    hidden = re.search(
        r'<div\s+class="visually-hidden"\s+aria-hidden="true">(.*?)</div> </div>', html, re.S
    )
    assert 'name="website"' in hidden[1]
    assert 'tabindex="-1"' in hidden[1]
    assert 'autocomplete="off"' in hidden[1]
