import pytest

from tickets.inbound import TEXT_MAX_CHARS, html_to_text, inbound_parse, reply_text
from tickets.references import reference_new, reply_address, reply_address_read
from tickets.tests.inbound_corpus import CASES, REPLY, message


def test_corpus_holds_at_least_sixty_messages():
    assert len(CASES) >= 60 and len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_reply_is_cut_from_quoted_history_and_signature(case):
    parsed = inbound_parse(case.raw)

    assert parsed.reply == case.reply
    assert parsed.automatic == case.automatic
    assert parsed.sender == case.sender
    assert [a.filename for a in parsed.attachments] == case.attachments


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_full_text_is_kept_besides_the_reply(case):
    parsed = inbound_parse(case.raw)

    assert case.reply.split("\n")[0] in parsed.text
    assert len(parsed.text) <= TEXT_MAX_CHARS


def test_threading_headers_are_read_newest_first():
    parsed = inbound_parse(message(body=REPLY))

    assert parsed.message_id == "reply-1@mail.example.no"
    assert parsed.replies_to == ["sek-out-7@etn.no", "sek-out-1@etn.no"]


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Re: [SEK-7K4Q-2MX9] Svar", None),
        ("SV: Gjelder sak SEK-000042", 42),
        ("Pakken min", None),
    ],
)
def test_subject_reference_is_read_only_when_it_checks_out(subject, expected):
    # SEK-7K4Q-2MX9 is the example, whose check symbol does not hold.
    assert inbound_parse(message(body=REPLY, subject=subject)).subject_reference == expected


def test_subject_reference_of_a_real_ticket_is_read_in_any_case():
    reference = reference_new()

    parsed = inbound_parse(message(body=REPLY, subject=f"Re: [{reference.lower()}] Svar"))

    assert parsed.subject_reference == reference


def test_signed_reply_address_names_its_ticket(settings):
    settings.SUPPORT_EMAIL = "kundeservice@etn.no"
    reference = reference_new()
    address = reply_address(reference)

    parsed = inbound_parse(message(body=REPLY, headers={"Cc": address}))

    assert address.startswith(f"kundeservice+{reference}.") and address.endswith("@etn.no")
    assert parsed.reply_address_reference == reference


@pytest.mark.parametrize(
    "forge",
    [
        lambda address: address.replace(address.split(".")[1].split("@")[0], "0123456789"),
        lambda address: address.split(".")[0] + "@etn.no",
    ],
    ids=["wrong-signature", "no-signature"],
)
def test_forged_reply_address_names_no_ticket(forge):
    address = forge(reply_address(reference_new()))

    assert reply_address_read(address) is None


def test_reply_address_of_another_ticket_signature_names_no_ticket():
    first, second = reference_new(), reference_new()
    signature = reply_address(first).split(".")[1].split("@")[0]

    assert reply_address_read(f"kundeservice+{second}.{signature}@etn.no") is None


def test_hostile_html_becomes_text_without_scripts():
    text = html_to_text(
        "<p>Hei<script>alert(1)</script></p><style>p{}</style><p>&lt;b&gt;fet&lt;/b&gt;</p>"
    )

    assert text == "Hei\n\n<b>fet</b>"


def test_reply_without_any_quote_is_kept_whole():
    assert reply_text("Hei\n\nBare en melding.\n") == "Hei\n\nBare en melding."


def test_sentence_ending_in_skrev_is_not_taken_for_a_quote():
    text = "Hei!\n\nDette er det jeg skrev i forrige uke:\nPakken kom aldri."

    assert reply_text(text) == text
