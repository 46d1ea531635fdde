"""Read a scikit-learn model from a skops file, importing only the modules its own schema names.

Importing ``skops.io`` imports every scikit-learn estimator (it builds its default trusted-type
list from ``sklearn.utils.all_estimators()`` at import time, pulling in pytest on the way): about
0.6 s of a cold ``govern check`` on top of what the model needs. The file's ``schema.json``
already names every type it contains, and govern trusts types by prefix anyway (scikit-learn,
numpy, scipy, builtins; never pickle). So this reader checks each named type against that
allow-list, imports only those modules, and builds the objects exactly as skops' own node
classes of protocol 2 do, for the node kinds that estimators, pipelines and column transformers
are made of. A file with any other node kind (tree structures, random states, functions, sparse
matrices...) or another protocol gives :class:`NotHandled`, and the caller loads it with skops
itself -- slower, never less strict.
"""

from __future__ import annotations

import importlib
import io
import json
from typing import Any, Callable
from zipfile import ZipFile

#: module prefixes of the types a model file may construct (the same allow-list as with skops)
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")
#: the skops protocol whose node formats this reader reproduces
PROTOCOL = 2
#: a schema larger than this is not a model govern reads (the arrays live in separate members)
MAX_SCHEMA_BYTES = 32 * 1024 * 1024


class NotHandled(Exception):
    """The file uses a node kind or protocol this reader does not reproduce: load it with skops."""


class Untrusted(Exception):
    """The file names types outside the allow-list (``types``); nothing was constructed."""

    def __init__(self, types: list[str]) -> None:
        super().__init__(", ".join(types))
        self.types = types


def schema_types(schema: Any) -> tuple[set[str], set[str]]:
    """Every ``module.class`` and every ``__loader__`` the schema names (JSON leaves name no type)."""
    types: set[str] = set()
    loaders: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                loaders.add(str(node["__loader__"]))
                if node["__loader__"] != "JsonNode":
                    types.add(f"{node.get('__module__')}.{node.get('__class__')}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return types, loaders


def untrusted_types(types: set[str]) -> list[str]:
    return sorted(t for t in types if not t.startswith(TRUSTED_PREFIXES))


def load(path: Any) -> Any:
    """The object in the skops file at ``path``; Untrusted, NotHandled, or ValueError for a malformed file."""
    with ZipFile(path) as archive:
        if archive.getinfo("schema.json").file_size > MAX_SCHEMA_BYTES:
            raise ValueError(f"schema.json is larger than {MAX_SCHEMA_BYTES} bytes")
        schema = json.loads(archive.read("schema.json"))
        if not isinstance(schema, dict):
            raise ValueError("schema.json is not an object")
        protocol = schema.get("protocol")
        if isinstance(protocol, bool) or protocol != PROTOCOL:
            raise NotHandled(f"protocol {protocol!r}")
        types, loaders = schema_types(schema)
        refused = untrusted_types(types)
        if refused:  # checked for the whole file before anything is imported or built
            raise Untrusted(refused)
        unknown = loaders - set(_BUILDERS)
        if unknown:
            raise NotHandled(", ".join(sorted(unknown)))
        return _Reader(archive).build(schema)


class _Reader:
    """One pass over the schema: build each node once, share it by its ``__id__`` as skops does."""

    def __init__(self, archive: ZipFile) -> None:
        self.archive = archive
        self.memo: dict[Any, Any] = {}
        self.building: set[Any] = set()

    def build(self, state: Any) -> Any:
        if not isinstance(state, dict) or "__loader__" not in state:
            raise ValueError("a schema node is not an object with a __loader__")
        saved_id = state.get("__id__")
        if saved_id is not None and saved_id in self.memo:
            return self.memo[saved_id]
        if state["__loader__"] == "CachedNode":
            raise ValueError(f"a cached node refers to an unknown object id {saved_id!r}")
        if saved_id in self.building:  # a reference cycle: skops cannot build it either
            raise NotHandled("a node refers to its own ancestor")
        if saved_id:
            self.building.add(saved_id)
        value = _BUILDERS[state["__loader__"]](self, state)
        if saved_id:
            self.building.discard(saved_id)
            self.memo[saved_id] = value
        return value

    def type_of(self, state: dict[str, Any]) -> type:
        module, name = state["__module__"], state["__class__"]
        if not f"{module}.{name}".startswith(TRUSTED_PREFIXES):  # schema_types saw it; never import around it
            raise Untrusted([f"{module}.{name}"])
        found = getattr(importlib.import_module(module), name)
        if not isinstance(found, type):
            raise ValueError(f"{module}.{name} is not a type")
        return found

    # -- the node kinds (skops.io._general / _numpy, protocol 2) ----------------------------
    def dict_node(self, state: dict[str, Any]) -> Any:
        content = self.type_of(state)()
        key_types = self.build(state["key_types"])
        for key_type, (key, value) in zip(key_types, state["content"].items()):
            content[key_type(key)] = self.build(value)
        return content

    def list_node(self, state: dict[str, Any]) -> Any:
        return self.type_of(state)([self.build(v) for v in state["content"]])

    def set_node(self, state: dict[str, Any]) -> Any:
        return self.type_of(state)([self.build(v) for v in state["content"]])

    def tuple_node(self, state: dict[str, Any]) -> Any:
        cls = self.type_of(state)
        content = tuple(self.build(v) for v in state["content"])
        fields = getattr(cls, "_fields", None)
        named = (cls.__bases__ == (tuple,) and isinstance(fields, tuple) and all(isinstance(f, str) for f in fields))
        return cls(*content) if named else content

    def type_node(self, state: dict[str, Any]) -> Any:
        return self.type_of(state)

    def slice_node(self, state: dict[str, Any]) -> Any:
        content = state["content"]
        return slice(content["start"], content["stop"], content["step"])

    def json_node(self, state: dict[str, Any]) -> Any:
        return json.loads(state["content"])

    def object_node(self, state: dict[str, Any]) -> Any:
        cls = self.type_of(state)
        instance = cls.__new__(cls)  # no __init__: its arguments are part of the state set below
        content = state.get("content")
        attrs = None if content is None else self.build(content)
        if attrs is not None:
            if hasattr(instance, "__setstate__"):
                instance.__setstate__(attrs)
            else:
                instance.__dict__.update(attrs)
        return instance

    def ndarray_node(self, state: dict[str, Any]) -> Any:
        import numpy as np

        cls = self.type_of(state)
        if state["type"] == "numpy":
            content = np.load(io.BytesIO(self.archive.read(state["file"])), allow_pickle=False)
            return content if cls is np.ndarray else cls(content)
        if state["type"] == "json":
            shape = self.build(state["shape"])
            items = [self.build(o) for o in state["content"]]
            if len(shape) == 1:
                array = np.ndarray(shape=len(items), dtype="O")
                for i, item in enumerate(items):
                    array[i] = item
                return array
            return np.array(items, dtype="O")
        raise ValueError(f"unknown array storage {state['type']!r}")

    def dtype_node(self, state: dict[str, Any]) -> Any:
        self.type_of(state)
        return self.build(state["content"]).dtype


_BUILDERS: dict[str, Callable[[_Reader, dict[str, Any]], Any]] = {
    "DictNode": _Reader.dict_node, "ListNode": _Reader.list_node, "SetNode": _Reader.set_node,
    "TupleNode": _Reader.tuple_node, "TypeNode": _Reader.type_node, "SliceNode": _Reader.slice_node,
    "JsonNode": _Reader.json_node, "ObjectNode": _Reader.object_node, "NdArrayNode": _Reader.ndarray_node,
    "DTypeNode": _Reader.dtype_node,
    "CachedNode": _Reader.build,  # resolved in build(): a known id returns its object, an unknown one is an error
}
