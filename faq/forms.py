from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from markdownx.forms import ImageForm
from PIL import Image

from faq.models import FaqFeedback


def image_pixels_allowed(image: Image.Image) -> bool:
    """Whether an opened, not yet decoded, image is within FAQ_IMAGE_MAX_PIXELS."""
    return image.width * image.height <= settings.FAQ_IMAGE_MAX_PIXELS


class HeaderCheckedImageField(forms.ImageField):
    """An image field that refuses too many pixels from the header, before anything is decoded.

    Pillow only warns below twice its own limit (89 to 179 megapixels), and markdownx would then
    decode the whole picture in the web process to scale it down.
    """

    default_error_messages = {
        "too_many_pixels": _(
            "The image has more than %(limit)s pixels. Make it smaller and upload it again."
        ),
    }

    def to_python(self, data):
        if data not in self.empty_values and not self._pixels_allowed(data):
            raise forms.ValidationError(
                self.error_messages["too_many_pixels"],
                code="too_many_pixels",
                params={"limit": number_format(settings.FAQ_IMAGE_MAX_PIXELS, force_grouping=True)},
            )
        return super().to_python(data)

    @staticmethod
    def _pixels_allowed(data) -> bool:
        try:
            with Image.open(data) as image:
                return image_pixels_allowed(image)
        except Image.DecompressionBombError:
            return False
        except Exception:  # noqa: BLE001 (not an image: ImageField says so, in its own words)
            return True
        finally:
            data.seek(0)


class AnswerImageForm(ImageForm):
    """An editor's image upload: Pillow must read it, and its real format decides its type."""

    # forms.ImageField opens the file with Pillow and replaces the browser's content type with
    # the format Pillow found, so markdownx's type and size checks in clean() judge the real file.
    image = HeaderCheckedImageField()


class FeedbackReasonsForm(forms.Form):
    """What was missing from an answer a visitor found unhelpful: reasons, a few words, or both."""

    reasons = forms.MultipleChoiceField(
        label=_("What was missing?"),
        choices=FaqFeedback.Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    text = forms.CharField(
        label=_("Tell us more (optional)"),
        max_length=FaqFeedback.TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("reasons") and not cleaned.get("text"):
            raise forms.ValidationError(_("Choose a reason or write a few words."), code="empty")
        return cleaned


class SearchPeriodForm(forms.Form):
    """The days and language of the editors' search report; the last DEFAULT_DAYS by default."""

    DEFAULT_DAYS = 30

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("All")), *settings.LANGUAGES], required=False
    )

    def period(self) -> tuple[date, date, str]:
        """From, to (both included) and language; what is missing or invalid takes its default."""
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        return min(start, end), max(start, end), data.get("language", "")
