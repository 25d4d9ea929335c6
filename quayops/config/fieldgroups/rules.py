"""What every field group shares: config-tool's checked type assertions (constructors, config-facts §3) and
the helpers of `pkg/lib/shared/validators.go` with their messages (config-facts §4), plus Go's
`net/url` parsing they rely on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import hexdigits

from quayops.config.errors import ConfigToolCrash, FieldTypeError
from quayops.config.loading import go_quote
from quayops.model.findings import Finding

CRASH_SUFFIX = (
    "; Quay's config-tool itself would crash on this input (Go panic, exit status 2, no report), "
    "so Quay 3.7 would not start"
)
TIME_PATTERN = "^[0-9]+(w|m|d|h|s)$"
_TIME_PATTERN = re.compile(r"[0-9]+(w|m|d|h|s)")
_HOSTNAME = re.compile(r"[a-zA-Z\-0-9.]+(:[0-9]+)?")
_HOST_EXTRA = set("!$&'()*+,;=:[]<>\"-_.~")
_USERINFO_EXTRA = set("-._:~!$&'()*+,;=%@")


# --- constructors: checked type assertions (`value.(T)`) -------------------------------------------

@dataclass(frozen=True)
class Field:
    """One key a constructor reads: Python type, config-tool's wording of the type, and its default."""

    key: str
    kind: type
    wording: str
    default: object = None


def read_fields(config: dict, fields: tuple[Field, ...]) -> dict:
    """Read keys in constructor order, raising the first `<KEY> must be of type <wording>`.

    Go's `.(int)` rejects floats and bools and `.(bool)` rejects `yes`, so the check is on the exact
    Python type (bool is not an int here). Absent keys take their default.
    """
    values = {}
    for spec in fields:
        if spec.key not in config:
            values[spec.key] = spec.default
            continue
        value = config[spec.key]
        if type(value) is not spec.kind:
            raise FieldTypeError(f"{spec.key} must be of type {spec.wording}")
        values[spec.key] = value
    return values


def read_mapping(config: dict, key: str, *, where: str = "") -> dict | None:
    """An unchecked `value.(map[string]interface{})`: a non-mapping makes config-tool panic."""
    if key not in config:
        return None
    value = config[key]
    if not isinstance(value, dict):
        raise ConfigToolCrash(crash(f"{where or key} is {go_kind(value)}, not a mapping"))
    return value


def read_string_list(config: dict, key: str) -> list[str]:
    """`for _, e := range value.([]interface{})` then `e.(string)`: a non-list panics, a non-string item
    gives `<KEY> must be of type []string`."""
    if key not in config:
        return []
    value = config[key]
    if not isinstance(value, list):
        raise ConfigToolCrash(crash(f"{key} is {go_kind(value)}, not a list"))
    if any(type(item) is not str for item in value):
        raise FieldTypeError(f"{key} must be of type []string")
    return value


def crash(what: str) -> str:
    """The message quayops gives where config-tool would panic (config-facts §1.1 item 9)."""
    return what + CRASH_SUFFIX


def go_kind(value: object) -> str:
    """A YAML value's kind in words, for crash messages."""
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, dict) else "null"


# --- validate: findings and shared/validators.go messages -----------------------------------------

def finding(group: str, message: str, field: str | None = None) -> Finding:
    """A config-tool row: layer "config", the group's map key as field group, the message verbatim."""
    return Finding(layer="config", message=message, field_group=group, field=field)


def required(field: str) -> str:
    return f"{field} is required"


def one_of(field: str, options: tuple[str, ...]) -> str:
    return f"{field} must be one of {', '.join(options)}."


def at_least_one_enabled(fields: tuple[str, ...]) -> str:
    return f"At least one of {','.join(fields)} must be enabled"


def at_least_one_present(fields: tuple[str, ...]) -> str:
    return f"At least one of {','.join(fields)} must be present"


def not_url(field: str) -> str:
    return f"{field} must be of type URL"


def not_hostname(field: str) -> str:
    return f"{field} must be of type Hostname"


def not_time_pattern(field: str) -> str:
    return f"{field} must have the regex pattern {TIME_PATTERN}"


def is_url(value: str) -> bool:
    """ValidateIsURL: url.ParseRequestURI succeeds and both scheme and host are non-empty."""
    try:
        url = parse_url(value, request=True)
    except ValueError:
        return False
    return bool(url.scheme and url.host)


def is_hostname(value: str) -> bool:
    """ValidateIsHostname: trimmed value matches ^[a-zA-Z-0-9\\.]+(:[0-9]+)?$ (Go `$`: end of text)."""
    return _HOSTNAME.fullmatch(value.strip()) is not None


def matches_time_pattern(value: str) -> bool:
    """ValidateTimePattern: the whole string matches ^[0-9]+(w|m|d|h|s)$."""
    return _TIME_PATTERN.fullmatch(value) is not None


# --- Go net/url -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoURL:
    """The parts of Go's url.URL the validators read; `scheme` lower-cased as Go does."""

    scheme: str = ""
    opaque: str = ""
    username: str | None = None
    password: str | None = None
    host: str = ""
    path: str = ""
    raw_query: str = ""


def parse_url(raw: str, *, request: bool = False) -> GoURL:
    """Go's url.Parse, or url.ParseRequestURI with `request=True`; raises ValueError(Go's inner text).

    Wrap with `url_error(raw, e)` for Go's full `parse "<url>": <err>` wording.
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise ValueError("net/url: invalid control character in URL")
    rest = raw
    if not request:
        rest = raw.split("#", 1)[0]
    if rest == "" and request:
        raise ValueError("empty url")
    if rest == "*":
        return GoURL(path="*")
    scheme, rest = _scheme(rest)
    scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        rest, query = rest[:-1], ""
    else:
        rest, _, query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            return GoURL(scheme=scheme, opaque=rest, raw_query=query)
        if request:
            raise ValueError("invalid URI for request")
        if ":" in rest.split("/", 1)[0]:
            raise ValueError("first path segment in URL cannot contain colon")
    username = password = None
    host = ""
    if (scheme or (not request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        username, password, host = _authority(authority)
    _unescape(rest)
    return GoURL(scheme, "", username, password, host, rest, query)


def url_error(raw: str, error: ValueError) -> str:
    """Go's *url.Error text: `parse "<url>": <err>`."""
    return f"parse {go_quote(raw)}: {error}"


def _scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise ValueError("missing protocol scheme")
            return raw[:i], raw[i + 1:]
        return "", raw
    return "", raw


def _authority(authority: str) -> tuple[str | None, str | None, str]:
    userinfo, at, hostpart = authority.rpartition("@")
    host = _host(hostpart)
    if not at:
        return None, None, host
    if not all(c.isascii() and c.isalnum() or c in _USERINFO_EXTRA for c in userinfo):
        raise ValueError("net/url: invalid userinfo")
    user, colon, password = userinfo.partition(":")
    return _unescape(user), (_unescape(password) if colon else None), host


def _host(host: str) -> str:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise ValueError("missing ']' in host")
        port = host[end + 1:]
    else:
        colon = host.rfind(":")
        port = host[colon:] if colon >= 0 else ""
    if port and not (port[0] == ":" and port[1:].isdigit() or port == ":"):
        raise ValueError(f"invalid port {go_quote(port)} after host")
    for c in host:
        if c.isascii() and not (c.isalnum() or c in _HOST_EXTRA or c == "%"):
            raise ValueError(f"invalid character {go_quote(c)} in host name")
    return _unescape(host)


def _unescape(text: str) -> str:
    """Reject bad %-escapes like Go's unescape; returns the text with escapes decoded."""
    out = bytearray()
    i = 0
    raw = text.encode()
    while i < len(raw):
        if raw[i] == ord("%"):
            pair = raw[i + 1:i + 3].decode(errors="replace")
            if len(pair) < 2 or any(c not in hexdigits for c in pair):
                raise ValueError(f"invalid URL escape {go_quote(raw[i:i + 3].decode(errors='replace'))}")
            out.append(int(pair, 16))
            i += 3
            continue
        out.append(raw[i])
        i += 1
    return out.decode(errors="replace")
