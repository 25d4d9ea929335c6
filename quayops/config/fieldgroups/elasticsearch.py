"""Mirrors config-tool pkg/lib/fieldgroups/elasticsearch (config-facts §4.13)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping
from quayops.model.findings import Finding

GROUP = "ElasticSearch"
CONFIG = "LOGS_MODEL_CONFIG"
ES_CONFIG = "LOGS_MODEL_CONFIG.ELASTIC_SEARCH_CONFIG"
REQUIRED_SUFFIX = " is required for Elasticsearch"
ES_REQUIRED = (("host", "HOST"), ("port", "PORT"), ("access_key", "ACCESS_KEY"), ("secret_key", "SECRET_KEY"))
KAFKA_FIELDS = (
    Field("topic", str, "string", ""),
    Field("bootstrap_servers", list, "[]interface{}", []),
    Field("max_block_seconds", int, "int", 0),
)
ES_FIELDS = (
    Field("aws_region", str, "string", ""),
    Field("port", int, "int", 0),
    Field("access_key", str, "string", ""),
    Field("host", str, "string", ""),
    Field("index_prefix", str, "string", "logentry_"),
)
ES_FIELDS_AFTER_SETTINGS = (
    Field("use_ssl", bool, "bool", True),
    Field("secret_key", str, "string", ""),
)
KINESIS_FIELDS = (
    Field("retries", int, "int", 0),
    Field("read_timeout", int, "int", 0),
    Field("max_pool_connections", int, "int", 0),
    Field("aws_region", str, "string", ""),
    Field("connect_timeout", int, "int", 0),
    Field("aws_secret_key", str, "string", ""),
    Field("stream_name", str, "string", ""),
    Field("aws_access_key", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: LOGS_MODEL, then LOGS_MODEL_CONFIG and its producer configs (mappings or a panic)."""
    fg = read_fields(config, (Field("LOGS_MODEL", str, "string", "database"),))
    conf = read_mapping(config, CONFIG)
    fg[CONFIG] = None if conf is None else _parse_logs_model_config(conf)
    return fg


def _parse_logs_model_config(conf: dict) -> dict:
    kafka = read_mapping(conf, "kafka_config", where=f"{CONFIG}.kafka_config")
    if kafka is not None:
        read_fields(kafka, KAFKA_FIELDS)
    es = read_mapping(conf, "elasticsearch_config", where=f"{CONFIG}.elasticsearch_config")
    if es is not None:
        es = read_fields(es, ES_FIELDS) | _index_settings(es) | read_fields(es, ES_FIELDS_AFTER_SETTINGS)
    kinesis = read_mapping(conf, "kinesis_stream_config", where=f"{CONFIG}.kinesis_stream_config")
    if kinesis is not None:
        read_fields(kinesis, KINESIS_FIELDS)
    read_fields(conf, (Field("producer", str, "string", ""),))
    return {"elasticsearch_config": es}


def _index_settings(es: dict) -> dict:
    return {"index_settings": read_mapping(es, "index_settings", where=f"{CONFIG}.elasticsearch_config.index_settings")}


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Elasticsearch settings required when LOGS_MODEL is elasticsearch; the request itself is online."""
    fg = parse(config)
    if fg["LOGS_MODEL"] != "elasticsearch":
        return []
    if fg[CONFIG] is None:
        return [finding(GROUP, CONFIG + REQUIRED_SUFFIX, CONFIG)]
    es = fg[CONFIG]["elasticsearch_config"]
    if es is None:
        return [finding(GROUP, ES_CONFIG + REQUIRED_SUFFIX, ES_CONFIG)]
    return [
        finding(GROUP, f"{ES_CONFIG}.{name}{REQUIRED_SUFFIX}", f"{CONFIG}.elasticsearch_config.{key}")
        for key, name in ES_REQUIRED
        if not es[key]
    ]
