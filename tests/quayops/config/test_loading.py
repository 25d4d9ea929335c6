"""config.yaml loading like yaml.v3 + RemoveNullValues (config-facts §3, §9)."""

import math

import pytest

from quayops.config.errors import ConfigLoadError
from quayops.config.loading import parse_config_yaml, remove_null_values
from quayops.errors import QuayopsError


def test_yaml_yes_is_a_string():
    config = parse_config_yaml("FEATURE_X: yes\nA: on\nB: Yes\nC: n\n")
    assert config == {"FEATURE_X": "yes", "A": "on", "B": "Yes", "C": "n"}


@pytest.mark.parametrize("text", ["true", "True", "TRUE", "false", "False", "FALSE"])
def test_only_yaml_1_2_bools(text):
    assert parse_config_yaml(f"K: {text}\n") == {"K": text.lower() == "true"}


@pytest.mark.parametrize(("text", "value"), [
    ("6379", 6379), ("0x1F", 31), ("0o17", 15), ("0777", 511), ("1_000", 1000), ("+5", 5),
    ("30.5", 30.5), ("1e3", 1000.0), (".5", 0.5), ("08", 8.0), ("'6379'", "6379"),
    ("2021-01-02", "2021-01-02"), ("'-'", "-"), ("-x", "-x"),
])
def test_scalars_resolve_like_yaml_v3(text, value):
    got = parse_config_yaml(f"K: {text}\n")["K"]
    assert got == value and type(got) is type(value)


def test_special_floats():
    config = parse_config_yaml("A: .inf\nB: -.Inf\nC: .NaN\n")
    assert config["A"] == math.inf and config["B"] == -math.inf and math.isnan(config["C"])


def test_yaml_duplicate_key():
    with pytest.raises(ConfigLoadError) as e:
        parse_config_yaml("DB_URI: a\nSERVER_HOSTNAME: b\nDB_URI: c\n")
    assert e.value.message == 'yaml: unmarshal errors:\n  line 3: mapping key "DB_URI" already defined at line 1'
    assert isinstance(e.value, QuayopsError)


def test_nested_duplicates_all_pairs_reported():
    with pytest.raises(ConfigLoadError) as e:
        parse_config_yaml("X:\n  a: 1\n  a: 2\n  a: 3\n")
    assert e.value.message == (
        'yaml: unmarshal errors:\n  line 3: mapping key "a" already defined at line 2\n'
        '  line 4: mapping key "a" already defined at line 2\n'
        '  line 4: mapping key "a" already defined at line 3'
    )


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into map[string]interface {}"),
    ("hello\n", "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `hello` into map[string]interface {}"),
    ("12345678901\n",
     "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!int `1234567...` into map[string]interface {}"),
])
def test_top_level_not_a_mapping(text, message):
    with pytest.raises(ConfigLoadError) as e:
        parse_config_yaml(text)
    assert e.value.message == message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "~\n", "---\n"])
def test_empty_file_is_empty_map(text):
    assert parse_config_yaml(text) == {}


def test_syntax_error_wording():
    with pytest.raises(ConfigLoadError) as e:
        parse_config_yaml("a: b: c\n")
    assert e.value.message == "yaml: line 1: mapping values are not allowed in this context"


def test_unknown_anchor():
    with pytest.raises(ConfigLoadError) as e:
        parse_config_yaml("a: *nope\n")
    assert e.value.message == "yaml: unknown anchor 'nope' referenced"


def test_explicit_tag_mismatch():
    with pytest.raises(ConfigLoadError) as e:
        parse_config_yaml("a: !!int abc\n")
    assert e.value.message == "yaml: cannot decode !!str `abc` as a !!int"


def test_anchors_and_merge_keys():
    config = parse_config_yaml("base: &b {host: r, port: 1}\nother:\n  <<: *b\n  port: 2\n")
    assert config["other"] == {"host": "r", "port": 2}


def test_only_first_document_is_read():
    assert parse_config_yaml("a: 1\n---\nb: [\n") == {"a": 1}


def test_nulls_removed_in_mappings_only():
    config = parse_config_yaml("A: null\nB:\nC: {x: ~, y: 1}\nD: [null, 1]\nE: [{z: null}]\n")
    assert config == {"C": {"y": 1}, "D": [None, 1], "E": [{"z": None}]}


def test_remove_null_values_recurses_mappings():
    assert remove_null_values({"a": None, "b": {"c": None, "d": {"e": None}}}) == {"b": {"d": {}}}
