"""Config helpers, one set for every config dataclass of plmlib (the network's, training's, inference's, the domain
transform's): a dataclass as a plain dict and back, and ``a.b=value`` overrides from the command line.

    to_dict(config)                      # nested dicts, tuples as lists: ready for YAML, JSON and checkpoints
    from_dict(FinetuneConfig, d)         # nested dataclasses rebuilt; an unknown key is a TypeError
    as_config(CandidateConfig, value)    # None (the defaults), an instance, or a dict of its fields
    apply_overrides(config, ["optim.lr=1e-3", "cache.pool_size=64"])   # values parsed as YAML

Plain ``dataclasses`` (``asdict``, ``fields``, ``replace``) and ``typing.get_type_hints`` do the work; what is
written here is what they do not: the check of unknown keys, nested dataclasses from dicts, tuples as lists, and
the parsing of ``key=value`` text (YAML, plus exponent-form floats, which YAML 1.1 reads as strings).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any

import yaml


def to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass (nested ones too) as plain dicts, tuples as lists (YAML- and JSON-friendly)."""
    return _plain(dataclasses.asdict(config))


def from_dict(cls: type, d: dict[str, Any]) -> Any:
    """``cls`` (a config dataclass) built from a dict; nested dataclass fields from nested dicts. A key that is not a
    field of ``cls`` is a TypeError naming it."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise TypeError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
    hints = _hints(cls)
    kwargs = {}
    for name, value in d.items():
        sub = _dataclass_in(hints.get(name))
        kwargs[name] = from_dict(sub, value) if sub is not None and isinstance(value, dict) else value
    return cls(**kwargs)


def as_config(cls: type, value: Any) -> Any:
    """A ``cls`` config from None (its defaults), an instance (as it is), or a dict of its fields (``from_dict``)."""
    if value is None:
        return cls()
    if dataclasses.is_dataclass(value):
        return value
    return from_dict(cls, value)


_EXPONENT_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def parse_assignment(text: str, option: str = "--set") -> tuple[str, Any]:
    """``"key=value"`` -> (key, value parsed as YAML: 1e-3, [1024, 1024], null, true); ``option`` is the
    command-line option named in the error. A bare number in exponent form is a float (YAML 1.1 reads "3e-4" as a
    string)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{option} expects key=value, got {text!r}")
    value = yaml.safe_load(raw)
    if isinstance(value, str) and _EXPONENT_NUMBER.fullmatch(value):
        value = float(value)
    return key.strip(), value


def apply_overrides(config: Any, assignments: list[str], option: str = "--set") -> Any:
    """Apply ``key.sub=value`` strings (``parse_assignment``) to a config dataclass, in place, and return it;
    ``option`` is the command-line option named in the error messages. A dict given for a dataclass field becomes
    that dataclass; a float field takes an int or a number written as text. The changed dataclass's
    ``__post_init__`` (its checks) runs again."""
    for text in assignments:
        key, value = parse_assignment(text, option)
        *path, last = key.split(".")
        target = config
        for part in path:
            if not hasattr(target, part):
                raise ValueError(f"{option}: unknown config field {key!r}")
            target = getattr(target, part)
        if not dataclasses.is_dataclass(target) or last not in {f.name for f in dataclasses.fields(target)}:
            raise ValueError(f"{option}: unknown config field {key!r}")
        annotation = _hints(type(target)).get(last)
        sub = _dataclass_in(annotation)
        if sub is not None and isinstance(value, dict):
            value = from_dict(sub, value)
        if float in _members(annotation) and isinstance(value, (str, int)) and not isinstance(value, bool):
            value = float(value)
        setattr(target, last, value)
        if hasattr(target, "__post_init__"):
            target.__post_init__()
    return config


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _hints(cls: type) -> dict[str, Any]:
    """The fields' types of ``cls``, resolved (the modules use ``from __future__ import annotations``)."""
    return typing.get_type_hints(cls)


def _members(annotation: Any) -> tuple:
    """The types of a union (``X | None``, ``Optional[X]``), or the annotation itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _dataclass_in(annotation: Any) -> type | None:
    return next((t for t in _members(annotation) if isinstance(t, type) and dataclasses.is_dataclass(t)), None)
