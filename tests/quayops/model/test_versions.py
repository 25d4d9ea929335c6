import pytest

from quayops.model.versions import Version, VersionInvalid, parse_version


@pytest.mark.parametrize("text,expected", [
    ("3.7", Version(3, 7)), ("3.7.14", Version(3, 7, 14)), ("v3.7.14", Version(3, 7, 14)), (" 3.6.1 ", Version(3, 6, 1)),
])
def test_accepted_forms(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "3", "three.seven", "3.7.x", "3.7.14-rc1", "v3", "3..7", None, 3.7])
def test_garbage_is_refused_naming_the_field(text):
    with pytest.raises(VersionInvalid) as e:
        parse_version(text, field="--to")
    assert e.value.field == "--to" and "expected MAJOR.MINOR[.PATCH]" in str(e.value)


def test_order_and_text():
    assert Version(3, 6, 10) < Version(3, 7, 0) < Version(3, 7, 14)
    assert str(Version(3, 7)) == "3.7" and str(Version(3, 7, 2)) == "3.7.2"
