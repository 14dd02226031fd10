from django import forms
from markdownx.forms import ImageForm


class AnswerImageForm(ImageForm):
    """An editor's image upload: Pillow must read it, and its real format decides its type."""

    # forms.ImageField opens the file with Pillow and replaces the browser's content type with
    # the format Pillow found, so markdownx's type and size checks in clean() judge the real file.
    image = forms.ImageField()
