import pytest
from django.core.exceptions import ValidationError

from faq.validators import success_path_validate


def test_first_part_of_a_nested_admin_path_is_no_success_path(settings):
    settings.ADMIN_URL = "staff/admin/"

    with pytest.raises(ValidationError) as raised:
        success_path_validate("/staff/")

    assert raised.value.code == "reserved"
