from django import forms
from markdownx.forms import ImageForm

from faq.models import FormField

# The field names the contact form posts; the HelpForm block gives each its label and placeholder.
FIELD_NAMES = {
    FormField.Kind.TEXT: "name",
    FormField.Kind.EMAIL: "email",
    FormField.Kind.TEXTAREA: "message",
}


class HelpForm(forms.Form):
    """The contact form as the HelpForm block describes it."""

    def __init__(self, *args, form_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in form_fields:
            attrs = {"placeholder": form_field.placeholder}
            if form_field.kind == FormField.Kind.EMAIL:
                field = forms.EmailField(widget=forms.EmailInput(attrs=attrs))
            elif form_field.kind == FormField.Kind.TEXTAREA:
                field = forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 5}))
            else:
                field = forms.CharField(widget=forms.TextInput(attrs=attrs))
            field.label = form_field.label
            self.fields[FIELD_NAMES[form_field.kind]] = field


class AnswerImageForm(ImageForm):
    """An editor's image upload: Pillow must read it, and its real format decides its type."""

    # forms.ImageField opens the file with Pillow and replaces the browser's content type with
    # the format Pillow found, so markdownx's type and size checks in clean() judge the real file.
    image = forms.ImageField()
