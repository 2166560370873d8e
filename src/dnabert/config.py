"""Config loading and validation against the schema ``dnabert/schemas/config.schema.yaml``.

Validation fills in schema defaults and stops at the first invalid value with a
:class:`ConfigError` that names the key (``datasets.split.fractions``) and what was expected.
The same function serves the Snakemake workflow (``common.smk``) and the command line.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dnabert.assembly import AssemblyMismatchError, check_assemblies
from dnabert.tasks import configurable_task_pattern, family_of, is_known_task

log = logging.getLogger(__name__)

# Package data (installed with the package); workflow/schemas/config.schema.yaml is a relative
# symlink to it for readers of the workflow (tests/test_schema_defaults.py).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The config holds an invalid value; the message names the key."""


def _extend_with_defaults(validator_class):
    """A validator that fills in ``default`` for missing properties before checking them."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _extend_with_defaults(jsonschema.Draft202012Validator)
_FORMATS = jsonschema.FormatChecker(["regex"])  # 'format: regex' keys must compile


def load_schema(path: str | os.PathLike = SCHEMA_PATH) -> dict:
    """The config schema, with the names ``datasets.tasks`` accepts taken from the task
    registry (:func:`dnabert.tasks.configurable_task_pattern`): the YAML file's pattern is a
    copy for its readers, kept equal by a test, so a registered family is valid config."""
    with open(path) as fh:
        schema = yaml.safe_load(fh)
    tasks = schema.get("properties", {}).get("datasets", {}).get("properties", {}).get("tasks")
    if tasks and "pattern" in tasks.get("items", {}):
        tasks["items"]["pattern"] = configurable_task_pattern()
    return schema


# The keywords that refuse keys the schema does not declare: 'unevaluatedProperties' where a
# block takes keys from a shared one by '$ref' (baselines.deepromoter: $defs/baseline_training).
_UNKNOWN_KEY = ("additionalProperties", "unevaluatedProperties")


def _declared_keys(schema: dict, root: dict) -> set[str]:
    """The property names ``schema`` declares, with those of the blocks its local ``$ref``
    (``#/$defs/...``) and ``allOf`` entries name."""
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        names |= _declared_keys(target, root)
    for sub in schema.get("allOf", []):
        names |= _declared_keys(sub, root)
    return names


def _key_of(error: jsonschema.ValidationError, root: dict | None = None) -> str:
    """The dotted config key ``error`` is about; for an unknown key, the unknown key(s) under it.
    ``root``: the schema validated against, whose ``$defs`` a ``$ref`` names."""
    parts: list[str] = []
    for p in error.absolute_path:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    key = "".join(parts) or "<top level>"
    if error.validator in _UNKNOWN_KEY:
        extra = sorted(set(error.instance) - _declared_keys(error.schema, root or error.schema))
        prefix = "" if key == "<top level>" else key + "."
        return ", ".join(prefix + e for e in extra)
    return key


def validate_config(
    config: dict[str, Any], source: str = "config", schema: dict | None = None
) -> dict[str, Any]:
    """Validate ``config`` in place (filling defaults) and return it.

    Raises :class:`ConfigError` naming ``source`` and the offending key. Beyond the schema it
    checks relations the schema cannot express (split fractions sum to 1; every input's genome
    assembly is the genome's, see :mod:`dnabert.assembly`).
    """
    schema = schema if schema is not None else load_schema()
    if "genome" not in config and isinstance(config.get("datasets", {}), dict):
        # no genome: no built-in task unless named (see check_genome_needed)
        config.setdefault("datasets", {}).setdefault("tasks", [])
    validator = _DefaultingValidator(schema, format_checker=_FORMATS)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        if err.validator in _UNKNOWN_KEY:
            raise ConfigError(f"{source}: unknown config key '{_key_of(err, schema)}'")
        message = err.message
        if err.validator == "format" and err.validator_value == "regex":
            try:
                re.compile(err.instance)
            except re.error as exc:
                message = f"{err.instance!r} is not a valid regular expression ({exc})"
        raise ConfigError(f"{source}: invalid value for '{_key_of(err)}': {message}")
    _check_task_overrides(config, source, schema)
    if "long_policy" in (config.get("tokenize") or {}):
        log.warning(
            "%s: tokenize.long_policy is deprecated and ignored: inputs longer than "
            "tokenize.max_length are cut into sub-windows (finetune.long_train, "
            "finetune.long_aggregate; docs/finetuning.md)",
            source,
        )
    check_genome_needed(config, source)
    try:
        check_assemblies(config, source)
    except AssemblyMismatchError as exc:
        raise ConfigError(str(exc)) from None
    split = config.get("datasets", {}).get("split", {})
    fractions = split.get("fractions")
    if fractions is not None and abs(sum(fractions) - 1.0) > 1e-6:
        raise ConfigError(
            f"{source}: invalid value for 'datasets.split.fractions': {fractions} must sum to 1"
        )
    if split.get("method") == "chromosome" and not split.get("test_chromosomes"):
        raise ConfigError(
            f"{source}: invalid value for 'datasets.split.test_chromosomes': "
            "method 'chromosome' needs at least one test chromosome"
        )
    return config


def check_genome_needed(config: dict[str, Any], source: str = "config") -> None:
    """Without a ``genome`` block, raise ConfigError for whatever needs one.

    A run of users' tasks alone (``custom_tasks`` / ``suites``) needs no genome when it names no
    built-in task (``datasets.tasks`` is empty, its default when ``genome`` is absent), starts
    fine-tuning from a local model (``finetune.init_from``: no pretraining corpus is cut from a
    genome) and scores no variants.
    """
    if "genome" in config:
        return
    why = []
    if config["datasets"]["tasks"]:
        why.append(f"the built-in tasks datasets.tasks {config['datasets']['tasks']}")
    if not config["finetune"]["init_from"]:
        why.append(
            "pretraining (results/models/dnabert{k} is pretrained on a corpus cut from the "
            "genome, also with pretrain.model.init_from; set finetune.init_from to a local "
            "pretrained model directory instead)"
        )
    if "variants" in config:
        why.append("variants (alleles are scored on windows cut from the genome)")
    if not config["custom_tasks"] and not any(config["suites"].values()):
        why.append("an empty run (no custom_tasks or suites either)")
    if why:
        raise ConfigError(
            f"{source}: invalid value for '<top level>': 'genome' is a required property for "
            + "; ".join(why)
        )


def retype_cli_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Give ``--config key=value`` values inside lists and mappings their YAML types.

    Snakemake parses a top-level ``--config`` value as int, float or bool, but the leaves of a
    list or mapping (``--config 'tokenize={k: [6]}'``) stay strings (YAML BaseLoader). Every
    string leaf of ``overrides`` that ``config`` still holds at the same place is re-read with
    ``yaml.safe_load``, as the same text in a config file would be (``"6"`` -> 6, ``"null"`` ->
    None, ``"GRCh38"`` stays a string). Returns ``config``, changed in place.
    """

    def retype(value: Any) -> Any:
        if isinstance(value, str):
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            return parsed if isinstance(parsed, (int, float, bool, type(None))) else value
        if isinstance(value, list):
            return [retype(v) for v in value]
        if isinstance(value, dict):
            return {k: retype(v) for k, v in value.items()}
        return value

    def walk(target: dict, given: dict) -> None:
        for key, value in given.items():
            if key not in target:
                continue
            if isinstance(value, dict) and isinstance(target[key], dict):
                walk(target[key], value)
            elif isinstance(value, (dict, list)) and target[key] == value:
                target[key] = retype(value)

    walk(config, overrides)
    return config


def canonical(obj: Any) -> Any:
    """``obj`` with every mapping's keys sorted, recursively (lists keep their order).

    Snakemake compares a job's params by their ``repr`` to decide whether to rerun it, and a
    dict's ``repr`` follows its insertion order: the same settings with keys in another order
    (a config re-saved by a YAML tool) would rerun every job. Rules pass dict-valued params
    through this function so that only a changed value reruns a job.
    """
    if isinstance(obj, dict):
        return {key: canonical(obj[key]) for key in sorted(obj, key=str)}
    if isinstance(obj, (list, tuple)):
        return type(obj)(canonical(item) for item in obj)
    return obj


def task_settings(section: dict[str, Any], task: str) -> dict[str, Any]:
    """The settings of a config section with ``task_overrides`` (``finetune``) for one task: the
    section's own keys, updated by ``task_overrides['tf']`` for a ``tf_*`` task (a member of
    an open family of :mod:`dnabert.tasks`: its selector's overrides), then by
    ``task_overrides[task]``; the ``task_overrides`` key itself is left out."""
    overrides = section.get("task_overrides") or {}
    out = {key: value for key, value in section.items() if key != "task_overrides"}
    family = family_of(task)
    if family is not None and family.selector and task != family.selector:
        out.update(overrides.get(family.selector, {}))
    out.update(overrides.get(task, {}))
    return out


def _check_task_overrides(config: dict[str, Any], source: str, schema: dict) -> None:
    """Every ``finetune.task_overrides`` entry names a task this config can have and holds
    values the ``finetune`` section accepts."""
    section = config.get("finetune")
    if not isinstance(section, dict) or not section.get("task_overrides"):
        return
    from dnabert.datasets.suites import expand_suites

    custom = set(config.get("custom_tasks") or {}) | set(expand_suites(config))
    section_schema = {"$defs": schema.get("$defs", {}), **schema["properties"]["finetune"]}
    validator = _DefaultingValidator(section_schema)
    for task in section["task_overrides"]:
        key = f"finetune.task_overrides.{task}"
        if not (is_known_task(task) or task in custom):
            raise ConfigError(
                f"{source}: invalid value for '{key}': '{task}' is not a task name (built-in "
                f"prom300_*/promcore_*/promscan/splice/splice_rc/tf/tf_<experiment>, or one of "
                f"custom_tasks and suites: {sorted(custom)})"
            )
        merged = task_settings(section, task)
        errors = sorted(validator.iter_errors(merged), key=lambda e: e.path)
        if errors:
            err = errors[0]
            where = _key_of(err, section_schema)
            if err.validator in _UNKNOWN_KEY:
                raise ConfigError(f"{source}: unknown config key '{key}.{where}'")
            raise ConfigError(f"{source}: invalid value for '{key}.{where}': {err.message}")


def default_config() -> dict[str, Any]:
    """Every schema default, for commands run without ``--config`` (a placeholder genome)."""
    return validate_config(
        {"genome": {"name": "none", "fasta": {"url": "none"}}}, source="defaults"
    )


@functools.cache
def _cached_defaults() -> dict[str, Any]:
    return default_config()


def schema_defaults(*keys: str) -> Any:
    """The schema's default of the config section at ``keys`` (a fresh copy), e.g.
    ``schema_defaults("baselines", "promid")``: the one source of defaults for library functions
    called without a config (the CLI and Snakemake pass validated, complete sections)."""
    value = _cached_defaults()
    for key in keys:
        value = value[key]
    return copy.deepcopy(value)


def config_or_defaults(path: str | os.PathLike | None) -> dict[str, Any]:
    """The validated config at ``path``, or :func:`default_config` when ``path`` is None."""
    return load_config(path) if path else default_config()


class _StrictLoader(yaml.SafeLoader):
    """safe_load that refuses a key repeated in one mapping (plain YAML keeps the last)."""


def _unique_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in first_line:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} repeated (first on line {first_line[key]})",
                key_node.start_mark,
            )  # fmt: skip
        first_line[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml_config(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML config file strictly: a syntax error or a key repeated in one mapping raises
    :class:`ConfigError` naming the file and line (``config.yaml:12: ...``)."""
    path = Path(path)
    try:
        config = yaml.load(path.read_text(), Loader=_StrictLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        what = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {what}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return config


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML config file strictly (:func:`read_yaml_config`) and validate it
    (:func:`validate_config`)."""
    return validate_config(read_yaml_config(path), source=str(path))
