"""A small GraphQL engine for the sandbox Shopify: parse (graphql-core's parser), check every
field and argument against the sandbox's slice of the Admin API schema, price the query the way
Shopify does, and execute it against the shop's data.

What it answers like Shopify:
- an unknown field: ``Field 'x' doesn't exist on type 'T'`` with ``extensions.code ==
  "undefinedField"`` (HTTP 200, no data); an unknown argument: ``argumentNotAccepted``; a
  selection on a scalar or none on an object: ``selectionMismatch``; a syntax error.
- cost: an object costs 1, a connection 2 plus ``first`` (or ``last``) times its node's cost,
  scalars and enums 0 (``requestedQueryCost`` before running, ``actualQueryCost`` on what was
  returned); a query asking more than 1000 points is refused (``MAX_COST_EXCEEDED``).
- connections: ``first``/``last`` up to 250 (one of them required), opaque cursors,
  ``pageInfo``, ``nodes`` and ``edges``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, parse
from graphql.language import ast, get_location

MAX_COST = 1000
MAX_PAGE = 250
DIRECTIVES = {"idempotent": frozenset({"key"}), "include": frozenset({"if"}), "skip": frozenset({"if"})}
"""The directives the sandbox knows, with their arguments."""


class QueryError(Exception):
    """One GraphQL error answered in ``errors`` (HTTP 200, no data)."""

    def __init__(self, message: str, *, code: str | None = None, node: ast.Node | None = None,
                 path: list[str] | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.error: dict[str, Any] = {"message": message}
        if node is not None and node.loc is not None:
            where = get_location(node.loc.source, node.loc.start)
            self.error["locations"] = [{"line": where.line, "column": where.column}]
        if path:
            self.error["path"] = path
        if code:
            self.error["extensions"] = {"code": code, **extensions}


# --------------------------------------------------------------------------------------------
# The schema: type -> field -> spec
# --------------------------------------------------------------------------------------------

Resolver = Callable[[Any, dict[str, Any], "Context"], Any]


@dataclass(frozen=True)
class Field:
    type: str
    kind: str = "scalar"
    """``scalar``, ``object``, ``list`` (of objects) or ``connection``."""
    args: frozenset[str] = frozenset()
    resolve: Resolver | None = None


CONNECTION_ARGS = frozenset({"first", "last", "after", "before", "reverse"})


def scalar(type_name: str = "String", args: frozenset[str] = frozenset()) -> Field:
    return Field(type_name, "scalar", args)


def obj(type_name: str, args: frozenset[str] = frozenset(), resolve: Resolver | None = None) -> Field:
    return Field(type_name, "object", args, resolve)


def objects(type_name: str, args: frozenset[str] = frozenset(), resolve: Resolver | None = None) -> Field:
    return Field(type_name, "list", args, resolve)


def connection(node_type: str, args: frozenset[str] = frozenset(), resolve: Resolver | None = None) -> Field:
    return Field(f"{node_type}Connection", "connection", CONNECTION_ARGS | args, resolve)


@dataclass
class Schema:
    types: dict[str, dict[str, Field]]
    interfaces: dict[str, frozenset[str]] = field(default_factory=dict)
    """Interface -> the object types implementing it."""

    def __post_init__(self) -> None:
        for fields in list(self.types.values()):
            for spec in fields.values():
                if spec.kind == "connection" and spec.type not in self.types:
                    node = spec.type.removesuffix("Connection")
                    self.types[spec.type] = {
                        "nodes": objects(node),
                        "edges": objects(f"{node}Edge"),
                        "pageInfo": obj("PageInfo"),
                    }
                    self.types[f"{node}Edge"] = {"cursor": scalar(), "node": obj(node)}
        self.types.setdefault("PageInfo", {
            "hasNextPage": scalar("Boolean"),
            "hasPreviousPage": scalar("Boolean"),
            "startCursor": scalar(),
            "endCursor": scalar(),
        })

    def fields(self, type_name: str) -> dict[str, Field]:
        if type_name in self.interfaces:
            # an interface offers the fields every implementation shares
            shared: dict[str, Field] | None = None
            for member in self.interfaces[type_name]:
                member_fields = self.types[member]
                shared = dict(member_fields) if shared is None else {
                    k: v for k, v in shared.items() if k in member_fields}
            return {**(shared or {}), **self.types.get(type_name, {})}
        return self.types[type_name]

    def possible(self, type_name: str) -> frozenset[str]:
        return self.interfaces.get(type_name, frozenset({type_name}))


# --------------------------------------------------------------------------------------------
# Execution context, paging, values
# --------------------------------------------------------------------------------------------


@dataclass
class Context:
    schema: Schema
    variables: dict[str, Any]
    fragments: dict[str, ast.FragmentDefinitionNode]
    state: Any
    actual_cost: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)
    bulk: bool = False
    """A bulk operation's query: connections take no page size and return every node."""
    directives: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The directives on the field being resolved, with their arguments (``@idempotent(key:)``)."""


@dataclass
class Page:
    """A connection's list before paging: ``items`` in order, ``key`` gives each one's cursor value."""

    items: list[Any]
    key: Callable[[Any], Any]


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last": value}, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, node: ast.Node) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))["last"]
    except (ValueError, KeyError, TypeError):
        raise QueryError("Invalid cursor for current pagination sort.", node=node) from None


def _comparable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def paginate(page: Page, args: dict[str, Any], node: ast.FieldNode) -> dict[str, Any]:
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise QueryError("you must provide one of first or last", node=node)
    count = first if first is not None else last
    if not isinstance(count, int) or count < 0 or count > MAX_PAGE:
        raise QueryError(f"The first and last arguments must be between 0 and {MAX_PAGE}.", node=node)
    items = list(page.items)
    keyed = [(_comparable(page.key(item)), item) for item in items]
    if args.get("reverse"):
        keyed.reverse()
    after, before = args.get("after"), args.get("before")
    if after is not None:
        mark = decode_cursor(after, node)
        index = next((i for i, (k, _) in enumerate(keyed) if k == mark), None)
        if index is not None:
            keyed = keyed[index + 1:]
        else:  # the item of the cursor changed or went: resume after its sort position
            keyed = [(k, v) for k, v in keyed if (k > mark if not args.get("reverse") else k < mark)]
    if before is not None:
        mark = decode_cursor(before, node)
        index = next((i for i, (k, _) in enumerate(keyed) if k == mark), len(keyed))
        keyed = keyed[:index]
    if first is not None:
        chosen, more_after, more_before = keyed[:count], len(keyed) > count, after is not None
    else:
        chosen = keyed[max(0, len(keyed) - count):]
        more_after, more_before = before is not None, len(keyed) > count
    cursors = [encode_cursor(k) for k, _ in chosen]
    return {
        "__typename": "Connection",
        "nodes": [item for _, item in chosen],
        "edges": [{"cursor": c, "node": item} for c, (_, item) in zip(cursors, chosen, strict=True)],
        "pageInfo": {
            "hasNextPage": more_after,
            "hasPreviousPage": more_before,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def value_of(node: ast.ValueNode, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, ast.IntValueNode):
        return int(node.value)
    if isinstance(node, ast.FloatValueNode):
        return float(node.value)
    if isinstance(node, ast.StringValueNode | ast.EnumValueNode):
        return node.value
    if isinstance(node, ast.BooleanValueNode):
        return node.value
    if isinstance(node, ast.NullValueNode):
        return None
    if isinstance(node, ast.ListValueNode):
        return [value_of(v, variables) for v in node.values]
    if isinstance(node, ast.ObjectValueNode):
        return {f.name.value: value_of(f.value, variables) for f in node.fields}
    raise QueryError("unsupported value", node=node)


# --------------------------------------------------------------------------------------------
# Check, price, run
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]
    requested_cost: int = 0
    actual_cost: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


class Engine:
    def __init__(self, schema: Schema, roots: Mapping[str, str]) -> None:
        self.schema = schema
        self.roots = dict(roots)  # "query" -> "QueryRoot", "mutation" -> "Mutation"

    def prepare(self, document: str, variables: Mapping[str, Any] | None, operation_name: str | None,
                *, bulk: bool = False) -> tuple[ast.OperationDefinitionNode, Context, str]:
        """Parse and check; :class:`QueryError` for the first problem found."""
        try:
            parsed = parse(document)
        except GraphQLError as exc:
            error = QueryError(exc.message.replace("Syntax Error: ", "syntax error, "))
            if exc.locations:
                error.error["locations"] = [{"line": loc.line, "column": loc.column} for loc in exc.locations]
            raise error from None
        operations = [d for d in parsed.definitions if isinstance(d, ast.OperationDefinitionNode)]
        fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, ast.FragmentDefinitionNode)}
        if operation_name:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            raise QueryError("An operation name is required" if operations else "No operation named "
                             f"\"{operation_name}\"")
        operation = operations[0]
        kind = operation.operation.value
        root = self.roots.get(kind)
        if root is None:
            raise QueryError(f"Schema is not configured for {kind}s", node=operation)
        given = dict(variables or {})
        resolved: dict[str, Any] = {}
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name in given:
                resolved[name] = given[name]
            elif definition.default_value is not None:
                resolved[name] = value_of(definition.default_value, {})
            elif isinstance(definition.type, ast.NonNullTypeNode):
                raise QueryError(f"Variable ${name} of type {_type_text(definition.type)} was provided invalid "
                                 "value", code="INVALID_VARIABLE", node=definition)
        context = Context(self.schema, resolved, fragments, state=None, bulk=bulk)
        label = f"{kind} {operation.name.value}" if operation.name else kind
        self._check(operation.selection_set, root, [label], context)
        return operation, context, root

    def run(self, document: str, variables: Mapping[str, Any] | None, operation_name: str | None,
            state: Any, *, charge: Callable[[int], bool]) -> Outcome:
        """Check, price, ask ``charge(requested)`` (``False``: throttled), then execute."""
        try:
            operation, context, root = self.prepare(document, variables, operation_name)
            requested = self.price(operation.selection_set, root, context)
        except QueryError as exc:
            return Outcome(None, [exc.error])
        if requested > MAX_COST:
            error = QueryError(
                f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_COST}).",
                code="MAX_COST_EXCEEDED", cost=requested, maxCost=MAX_COST)
            return Outcome(None, [error.error], requested_cost=requested)
        if not charge(requested):
            throttled = QueryError("Throttled", code="THROTTLED",
                                   documentation="https://shopify.dev/api/usage/rate-limits")
            return Outcome(None, [throttled.error], requested_cost=requested)
        context.state = state
        try:
            data = self._select(None, operation.selection_set, root, context, [])
        except QueryError as exc:
            return Outcome(None, [exc.error], requested, context.actual_cost, context.warnings)
        return Outcome(data, [], requested, context.actual_cost, context.warnings)

    def run_bulk(self, document: str, state: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A bulk operation's query run whole: its JSONL objects (each nested connection's nodes as
        their own objects with ``__parentId``), or the errors that stopped it."""
        try:
            operation, context, root = self.prepare(document, None, None, bulk=True)
            if operation.operation.value != "query":
                raise QueryError("Bulk operations run queries only")
            context.state = state
            data = self._select(None, operation.selection_set, root, context, [])
        except QueryError as exc:
            return [], [exc.error]
        connections = [v for v in data.values() if _is_connection(v)]
        if len(connections) != 1:
            return [], [{"message": "Bulk queries must contain exactly one top-level connection."}]
        lines: list[dict[str, Any]] = []
        _flatten(connections[0], None, lines)
        return lines, []

    # -- checking ------------------------------------------------------------------------------

    def _fields_of(self, selection_set: ast.SelectionSetNode, type_name: str, context: Context
                   ) -> list[tuple[ast.FieldNode, str]]:
        """The fields selected, with the type each applies to (fragments flattened)."""
        found: list[tuple[ast.FieldNode, str]] = []
        for selection in selection_set.selections:
            if isinstance(selection, ast.FieldNode):
                found.append((selection, type_name))
                continue
            if isinstance(selection, ast.FragmentSpreadNode):
                fragment = context.fragments.get(selection.name.value)
                if fragment is None:
                    raise QueryError(f"Fragment {selection.name.value} was used, but not defined",
                                     code="useAndDefineFragment", node=selection)
                condition, inner = fragment.type_condition.name.value, fragment.selection_set
            else:
                assert isinstance(selection, ast.InlineFragmentNode)
                condition = selection.type_condition.name.value if selection.type_condition else type_name
                inner = selection.selection_set
            if condition not in self.schema.types and condition not in self.schema.interfaces:
                raise QueryError(f"No such type {condition}, so it can't be a fragment condition",
                                 code="undefinedType", node=selection, typeName=condition)
            if not self.schema.possible(condition) & self.schema.possible(type_name):
                raise QueryError(f"Fragment on {condition} can't be spread inside {type_name}",
                                 code="fragmentSpreadImpossible", node=selection)
            found.extend(self._fields_of(inner, condition, context))
        return found

    def _check(self, selection_set: ast.SelectionSetNode, type_name: str, path: list[str], context: Context) -> None:
        for node, on_type in self._fields_of(selection_set, type_name, context):
            name = node.name.value
            here = [*path, name]
            if name == "__typename":
                continue
            for directive in node.directives or ():
                known = DIRECTIVES.get(directive.name.value)
                if known is None:
                    raise QueryError(f"Directive @{directive.name.value} is not defined", code="undefinedDirective",
                                     node=directive, path=here, directiveName=directive.name.value)
                for argument in directive.arguments or ():
                    if argument.name.value not in known:
                        raise QueryError(
                            f"Directive '@{directive.name.value}' doesn't accept argument '{argument.name.value}'",
                            code="argumentNotAccepted", node=argument, path=here, name=directive.name.value,
                            typeName="Directive", argumentName=argument.name.value)
            spec = self.schema.fields(on_type).get(name)
            if spec is None:
                raise QueryError(f"Field '{name}' doesn't exist on type '{on_type}'", code="undefinedField",
                                 node=node, path=here, typeName=on_type, fieldName=name)
            for argument in node.arguments or ():
                if argument.name.value not in spec.args:
                    raise QueryError(
                        f"Field '{name}' doesn't accept argument '{argument.name.value}'",
                        code="argumentNotAccepted", node=argument, path=[*here, argument.name.value],
                        name=name, typeName="Field", argumentName=argument.name.value)
            if spec.kind == "connection" and not context.bulk:
                self._check_page_size(node, context)
            if spec.kind == "scalar":
                if node.selection_set is not None:
                    raise QueryError(
                        f"Selections can't be made on scalars (field '{name}' returns {spec.type} but has "
                        "selections)", code="selectionMismatch", node=node, path=here, nodeName=f"field '{name}'",
                        typeName=spec.type)
                continue
            if node.selection_set is None:
                raise QueryError(
                    f"Field must have selections (field '{name}' returns {spec.type} but has no selections. "
                    f"Did you mean '{name} {{ ... }}'?)", code="selectionMismatch", node=node, path=here,
                    nodeName=f"field '{name}'", typeName=spec.type)
            self._check(node.selection_set, spec.type, here, context)

    def _check_page_size(self, node: ast.FieldNode, context: Context) -> None:
        args = {a.name.value: value_of(a.value, context.variables) for a in node.arguments or ()}
        first, last = args.get("first"), args.get("last")
        if first is None and last is None:
            raise QueryError("you must provide one of first or last", node=node)
        for name, value in (("first", first), ("last", last)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or not 0 <= value <= MAX_PAGE):
                raise QueryError(f"The {name} argument must be between 0 and {MAX_PAGE}.", node=node,
                                 code="BAD_REQUEST")

    # -- pricing -------------------------------------------------------------------------------

    def price(self, selection_set: ast.SelectionSetNode, type_name: str, context: Context) -> int:
        total = 0
        for node, on_type in self._fields_of(selection_set, type_name, context):
            spec = self.schema.fields(on_type).get(node.name.value)
            if spec is None or spec.kind == "scalar" or node.selection_set is None:
                continue
            if spec.kind == "connection":
                args = {a.name.value: value_of(a.value, context.variables) for a in node.arguments or ()}
                size = args.get("first") if args.get("first") is not None else args.get("last")
                size = size if isinstance(size, int) and size >= 0 else 0
                total += 2 + size * self._node_price(node.selection_set, spec.type, context)
            else:
                total += 1 + self.price(node.selection_set, spec.type, context)
        return total

    def _node_price(self, selection_set: ast.SelectionSetNode, connection_type: str, context: Context) -> int:
        """The price of one node of a connection, whether read through ``nodes`` or ``edges``."""
        node_type = connection_type.removesuffix("Connection")
        best = 0
        for node, _ in self._fields_of(selection_set, connection_type, context):
            if node.selection_set is None:
                continue
            if node.name.value == "nodes":
                best = max(best, 1 + self.price(node.selection_set, node_type, context))
            elif node.name.value == "edges":
                for inner, _ in self._fields_of(node.selection_set, f"{node_type}Edge", context):
                    if inner.name.value == "node" and inner.selection_set is not None:
                        best = max(best, 1 + self.price(inner.selection_set, node_type, context))
        return best

    # -- execution -----------------------------------------------------------------------------

    def _select(self, source: Any, selection_set: ast.SelectionSetNode, type_name: str, context: Context,
                path: list[str]) -> dict[str, Any]:
        runtime = source.get("__typename", type_name) if isinstance(source, dict) else type_name
        result: dict[str, Any] = {}
        for node, on_type in self._fields_of(selection_set, type_name, context):
            if on_type != type_name and runtime not in self.schema.possible(on_type):
                continue  # a fragment for another implementation of the interface
            name = node.name.value
            key = node.alias.value if node.alias else name
            if name == "__typename":
                result[key] = runtime
                continue
            spec = self.schema.fields(on_type)[name]
            args = {a.name.value: value_of(a.value, context.variables) for a in node.arguments or ()}
            context.directives = {
                d.name.value: {a.name.value: value_of(a.value, context.variables) for a in d.arguments or ()}
                for d in node.directives or ()}
            if spec.resolve is not None:
                value = spec.resolve(source, args, context)
            else:
                value = source.get(name) if isinstance(source, dict) else None
            if spec.kind == "connection":
                if isinstance(value, Page):
                    value = paginate(value, args, node) if not context.bulk else _everything(value)
                context.actual_cost += 2
                value = dict(value) if value is not None else None
            if value is None or spec.kind == "scalar":
                result[key] = value
                continue
            assert node.selection_set is not None
            if spec.kind == "list":
                node_type = spec.type
                is_node = name in ("nodes",)
                items = []
                for item in value:
                    if is_node:
                        context.actual_cost += 1
                    items.append(self._select(item, node.selection_set, node_type, context, [*path, key]))
                if not is_node and name != "edges":
                    context.actual_cost += 1
                result[key] = items
            else:
                if (spec.kind == "object" and name != "node" and spec.type != "PageInfo") or name == "node":
                    context.actual_cost += 1
                result[key] = self._select(value, node.selection_set, spec.type, context, [*path, key])
        return result


def _type_text(node: ast.TypeNode) -> str:
    if isinstance(node, ast.NonNullTypeNode):
        return _type_text(node.type) + "!"
    if isinstance(node, ast.ListTypeNode):
        return f"[{_type_text(node.type)}]"
    assert isinstance(node, ast.NamedTypeNode)
    return node.name.value


def _everything(page: Page) -> dict[str, Any]:
    nodes = list(page.items)
    return {"__typename": "Connection", "nodes": nodes, "edges": [{"cursor": "", "node": n} for n in nodes],
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}


def _is_connection(value: Any) -> bool:
    return isinstance(value, dict) and ("edges" in value or "nodes" in value)


def _flatten(connection: dict[str, Any], parent_id: Any, lines: list[dict[str, Any]]) -> None:
    nodes = connection.get("nodes")
    if nodes is None:
        nodes = [edge.get("node") for edge in connection.get("edges", []) if isinstance(edge, dict)]
    for node in nodes:
        if not isinstance(node, dict):
            continue
        line = {k: v for k, v in node.items() if not _is_connection(v)}
        if parent_id is not None:
            line["__parentId"] = parent_id
        lines.append(line)
        for value in node.values():
            if _is_connection(value):
                _flatten(value, node.get("id"), lines)
