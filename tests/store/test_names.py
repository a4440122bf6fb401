"""Names that become bucket prefixes or directories: a trailing newline or control character is refused."""

import pytest

from ctsim.errors import SettingError
from ctsim.store import Layout, safe_name


@pytest.mark.parametrize("name", ["evil\n", "evil\r", "ev\til", "\nevil", "a/b", "..", "a..b", "", "x" * 129])
def test_unsafe_names_are_refused_in_one_line(name: str):
    with pytest.raises(SettingError) as caught:
        Layout(name)
    assert "\n" not in str(caught.value)


def test_safe_names_pass():
    assert safe_name("team-a.prod_1", "namespace") == "team-a.prod_1"
