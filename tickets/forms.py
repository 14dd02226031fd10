import time
import unicodedata
import uuid
from email import policy as email_policy

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator, validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from faq.models import FormField
from faq.responses import form_token_new, form_token_read
from tickets.attachments import attachment_types_shown, attachments_check
from tickets.models import Message, Ticket

# Which of our fields each kind of HelpForm field describes.
FIELD_FOR_KIND = {
    FormField.Kind.TEXT: "name",
    FormField.Kind.EMAIL: "email",
    FormField.Kind.TEXTAREA: "message",
}
MESSAGE_MAX_LENGTH = 5000
HONEYPOT = "website"
NO_TOKEN_NAMESPACE = uuid.UUID("6f1c3e2a-8d4b-4b7e-9a51-2c0d7e8f9b13")
NO_TOKEN_WINDOW_SECONDS = 600


def _has_control_characters(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _in_a_header(text: str) -> str:
    # What Python's email package makes of text put in a header: it decodes RFC 2047 encoded words
    # and writes what they hide as it is, so a name "=?utf-8?q?Kari=0D=0ABcc:_x@example.no?=" in
    # the notification's subject would go out as a Subject line and a Bcc line.
    return str(email_policy.default.header_factory("subject", text))


def _is_sendable(address: str) -> bool:
    # Django's validator takes addresses our mail cannot carry: a quoted local part may hold
    # control characters, its ASCII check ignores case (so "KARİ" and the Kelvin sign pass), and a
    # domain may hold any character, U+202E too. The SMTP backend refuses them when the worker
    # sends, for good, so the customer would never hear from us.
    local_part, _, domain = address.rpartition("@")
    try:
        domain.encode("idna")
    except UnicodeError:
        return False
    return local_part.isascii() and not _has_control_characters(_in_a_header(local_part))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.Field):
    """Files to attach, checked by tickets.attachments; cleaned to a list of CheckedFile."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def rules_show(self) -> None:
        """Tell the browser and the person what is accepted, as the settings say now and in the
        request's language (a form's fields are copies, so each form calls this)."""
        self.widget.attrs["accept"] = ",".join(settings.ATTACHMENT_TYPES)
        self.help_text = _("Up to %(count)d files (%(types)s), at most %(size)s each.") % {
            "count": settings.ATTACHMENT_MAX_COUNT,
            "types": attachment_types_shown(),
            "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }

    def clean(self, value):
        files = [upload for upload in value or [] if upload]
        try:
            return attachments_check(files)
        except forms.ValidationError as error:
            # A browser never fills a file input in again: say so, and that the rest is kept.
            raise forms.ValidationError([*error.error_list, _choose_again()]) from None


def _choose_again() -> forms.ValidationError:
    return forms.ValidationError(
        _("Everything else you wrote is kept, but the files must be chosen again."),
        code="choose_again",
    )


def _message_checked(message: str) -> str:
    message = message.strip()
    if _has_control_characters(message, allowed="\n\r\t"):
        raise forms.ValidationError(
            _("The message contains characters we cannot read."), code="control_characters"
        )
    return message


class CustomerFieldsMixin:
    """The checks of a form's name, email and message, whether the customer typed them or an
    agent did for them: text we put in an email's headers and body."""

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if _has_control_characters(name) or _has_control_characters(_in_a_header(name)):
            raise forms.ValidationError(
                _("The name cannot contain line breaks or control characters."),
                code="control_characters",
            )
        return name

    def clean_email(self):
        email = self.cleaned_data["email"]
        if not _is_sendable(email):
            raise forms.ValidationError(validate_email.message, code=validate_email.code)
        return email

    def clean_message(self):
        return _message_checked(self.cleaned_data["message"])


class ContactForm(CustomerFieldsMixin, forms.ModelForm):
    """The contact form; its labels and placeholders come from the page's HelpForm block."""

    # A signed token help.js fetched when the form was used (faq.responses.form_token_new), or
    # the one a re-rendered form carries; cleaned to the UUID inside it. Without JavaScript the
    # page, the same for everyone, brings none: see clean_token.
    token = forms.CharField(widget=forms.HiddenInput, max_length=200, required=False)
    # A field people never see or hear; bots fill it in.
    attachments = AttachmentsField(label=_("Attachments"))
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Ticket
        fields = ["name", "email", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, form_fields=(), is_same_origin=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_same_origin = is_same_origin
        # The model's TextField has no max_length, and setting one on a built field checks nothing.
        self.fields["message"].validators.append(MaxLengthValidator(MESSAGE_MAX_LENGTH))
        self.fields["message"].widget.attrs["maxlength"] = MESSAGE_MAX_LENGTH
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["attachments"].rules_show()
        for form_field in form_fields:
            field = self.fields[FIELD_FOR_KIND[form_field.kind]]
            field.label = form_field.label
            field.widget.attrs["placeholder"] = form_field.placeholder

    # Made when the form is rendered ({% crispy form %}), not for every POST it checks.
    @cached_property
    def helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(
            "name",
            "email",
            Field("message", data_suggest="true"),
            "attachments",
            "token",
            Div(HONEYPOT, css_class="visually-hidden", aria_hidden="true"),
        )
        return helper

    def clean_token(self):
        value = self.cleaned_data["token"]
        if token := form_token_read(value):
            return token
        # Only a browser that said the form is ours (sekvens_help.origin) may post without a
        # signed token; anyone else gets the form back with one, to send again.
        if not self.is_same_origin:
            raise forms.ValidationError(
                forms.UUIDField.default_error_messages["invalid"], code="invalid"
            )
        if not value:
            # The page without JavaScript: a reload or a second click within the window sends
            # the same text and finds its ticket (the dedupe key hashes the text under this).
            window = int(time.time() // NO_TOKEN_WINDOW_SECONDS)
            return uuid.uuid5(NO_TOKEN_NAMESPACE, str(window))
        # A bare UUID is what pages gave before tokens were signed (and what scripts send): it
        # still keys the dedupe, but no suggestion was ever recorded under it.
        try:
            return uuid.UUID(value)
        except ValueError:
            raise forms.ValidationError(
                forms.UUIDField.default_error_messages["invalid"], code="invalid"
            ) from None

    def clean(self):
        cleaned_data = super().clean()
        if self.errors and "attachments" not in self.errors and self.files.getlist("attachments"):
            # The files were fine, but the form comes back for another field: they are not kept.
            self.add_error("attachments", _choose_again())
        return cleaned_data

    def token_renew(self) -> None:
        """A form whose hidden token was lost or broken comes back with a fresh one."""
        if "token" in self.errors:
            self.data = self.data.copy()
            self.data["token"] = form_token_new()

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT))


class TicketPageReplyForm(forms.Form):
    """The reply box on the customer's ticket page, with its files (the page's form is
    multipart); cleaned to the body and a list of CheckedFile."""

    body = forms.CharField(
        label=_("Your reply"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].rules_show()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_body(self):
        return _message_checked(self.cleaned_data["body"])


class DeskTicketForm(CustomerFieldsMixin, forms.Form):
    """A ticket an agent writes down for a customer on the phone or at the counter; checked as
    the contact form checks what a customer types."""

    name = forms.CharField(label=_("Customer's name"), max_length=100)
    email = forms.EmailField(label=_("Customer's email"))
    message = forms.CharField(
        label=_("What the customer needs"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (Message.Channel.PHONE, Message.Channel.WALK_IN)],
        initial=Message.Channel.PHONE,
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("Email the customer a confirmation with the ticket's link"),
        required=False,
        initial=True,
    )
    take = forms.BooleanField(label=_("Assign the ticket to me"), required=False, initial=True)


class ChatStartForm(ContactForm):
    """The chat's start: name, email (so it can go on by email), the first message and the
    honeypot; checked as the contact form checks them. No token: the chat's own token is made
    when it starts, and the start is limited per address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, is_same_origin=True, **kwargs)
        del self.fields["attachments"]
        del self.fields["token"]
        self.fields["message"].validators.append(
            MaxLengthValidator(settings.CHAT_MESSAGE_MAX_CHARS)
        )
