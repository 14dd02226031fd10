"""Small real files for the attachment tests, made with Pillow as a camera or a scanner would."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(format: str = "PNG", size=(40, 30)) -> bytes:
    output = BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(output, format)
    return output.getvalue()


def png() -> bytes:
    return image_bytes("PNG")


def jpeg() -> bytes:
    return image_bytes("JPEG", size=(640, 480))


def pdf() -> bytes:
    output = BytesIO()
    Image.new("RGB", (60, 80), "white").save(output, "PDF")
    return output.getvalue()


# A Windows program: "MZ", then the DOS stub.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    """A file as the browser sends it, its type whatever the browser claims."""
    return SimpleUploadedFile(name, content, content_type=content_type)
