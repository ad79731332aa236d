"""Write metrics back into registry.yaml and leave every other byte alone (ruamel.yaml's round trip).

Comments, key order, quoting and the entries' layout survive; a metric that did not change keeps
its line as written, a new or changed one is written as one flow mapping on one line. Writing the
registry it was read from therefore gives the same bytes.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from seed.config import ConfigError

WIDTH = 1 << 16  # never fold a line: one metric, one line


def round_trip_yaml() -> Any:
    """The ruamel.yaml reader/writer the registry file is laid out for (2-space maps, `  - ` lists)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _plain(node: Any) -> Any:
    """A ruamel node as plain dicts, lists and scalars, to compare with what should be written."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def _flow(fields: dict[str, Any]) -> Any:
    """A metric as a one-line flow mapping (nested records too)."""
    from ruamel.yaml.comments import CommentedMap

    node = CommentedMap((key, _flow(value) if isinstance(value, dict) else value) for key, value in fields.items())
    node.fa.set_flow_style()
    return node


def _trailing_comment(node: Any) -> Any:
    """Detach and return the comment after a block's last line (a section comment before the next
    entry), which ruamel keeps on the deepest last key; None when there is none."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        slot = node.ca.items.get(key)
        if slot and len(slot) > 2 and slot[2] is not None:
            comment, slot[2] = slot[2], None
            return comment
        return _trailing_comment(node[key])
    if isinstance(node, CommentedSeq) and node:
        return _trailing_comment(node[-1])
    return None


def _set_metrics(entry: Any, wanted: list[dict[str, Any]]) -> None:
    """Make `entry`'s metrics list `wanted`, keeping the nodes (and so the lines) of unchanged metrics."""
    from ruamel.yaml.comments import CommentedSeq

    comment = None
    if "metrics" not in entry:
        if not wanted:
            return
        comment = _trailing_comment(entry)  # moves below the new metrics
        entry["metrics"] = CommentedSeq()
    current = entry["metrics"]
    unused = list(current)
    for index, fields in enumerate(wanted):
        node = next((n for n in unused if _plain(n) == fields), None)
        if node is None:
            node = _flow(fields)
        else:
            unused = [n for n in unused if n is not node]
        if index == len(current):
            current.append(node)
        elif current[index] is not node:
            current[index] = node
    del current[len(wanted):]
    if comment is not None:
        current.ca.items[len(current) - 1] = [comment, None]


def write_metrics(path: str | Path, metrics: dict[str, list[dict[str, Any]]]) -> bool:
    """Set each named entry's metrics (as `seed.zoo.registry.metric_fields` gives them) in the file at
    `path`; the file is rewritten only if its text changes. Returns whether it did."""
    path = Path(path)
    yaml = round_trip_yaml()
    text = path.read_text()
    document = yaml.load(text)
    entries = {entry["name"]: entry for entry in document["models"]}
    unknown = sorted(set(metrics) - set(entries))
    if unknown:
        raise ConfigError(f"{path}: no entries {unknown} in the file; only the metrics of existing entries are written")
    for name, wanted in metrics.items():
        _set_metrics(entries[name], wanted)
    out = io.StringIO()
    yaml.dump(document, out)
    if out.getvalue() == text:
        return False
    path.write_text(out.getvalue())
    return True


def _block(value: Any) -> Any:
    """Plain dicts and lists as ruamel's block-style nodes (quoting what needs it, e.g. a URL's `?`)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        return CommentedMap((key, _block(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_block(item) for item in value)
    return value


def add_entries(path: str | Path, entries: list[dict[str, Any]], header: str) -> None:
    """Append `entries` (plain dicts, as the registry file lays them out) to the registry file at `path`,
    creating it (its first line a `header` comment) if missing; every byte already there is kept."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = Path(path)
    yaml = round_trip_yaml()
    document = yaml.load(path.read_text()) if path.is_file() else None
    if document is None:
        document = CommentedMap(models=CommentedSeq())
        document.yaml_set_start_comment(header)
    if not isinstance(document.get("models"), list):
        raise ConfigError(f"{path}: expected a top-level `models:` list")
    document["models"].extend(_block(fields) for fields in entries)
    out = io.StringIO()
    yaml.dump(document, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue())
