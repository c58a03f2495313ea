"""Hypothesis strategies for fuzzing the GraphQL schema: scalar values, variables, hostile JSON, fixed-seed cases.

Documents come from hypothesis-graphql (``Mode.POSITIVE``: valid against the schema; ``Mode.NEGATIVE``: one
schema violation each). It writes every argument as a literal, so about half of the cases are rewritten to pass
their arguments as variables, which reaches variable coercion; half of those then get one hostile value that no
GraphQL literal can spell (NaN, Infinity, lone UTF-16 surrogates, integers past 64 bits, 40-deep lists). In
positive mode the document stays valid, so such a value reaches the resolvers whenever its type admits it.

Cases are generated in batches, each before its first request is sent, from a fixed seed (``hypothesis.seed``)
and without the example database, so they are a function of (source tree, schema, known values, mode, seed,
count) — Hypothesis also draws constants it finds in the project's source: CI sees the same documents on every
run of one commit, and a failure reproduces by running the same seed again.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    DocumentNode,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

INT32 = (-(2**31), 2**31 - 1)
EDGE_INTS = [0, 1, -1, 2, 3, 10, 49, 50, 51, 99, 100, 101, 1000, 5000, 5001, INT32[0], INT32[1]]
EDGE_FLOATS = [0.0, -0.0, 0.5, 1.0, 1.5, -1.0, 100.0, 1e-300, 5e-324, 1e308, -1e308]
# Strings that are valid GraphQL but hostile to the services behind it.
ODD_STRINGS = ["", " ", "\t\n", "\x00", "‮rtl", "😀" * 8, "x" * 4096, "610000", "999999", "-1", "null", "NaN",
               "1e999", "9" * 40, '{"$ne": null}', "$where", "a.b.c", "../../etc/passwd", "%00", "*", "[", "\\",
               "2024-02-30", "0001-01-01", "9999-12-31", "2024-01-01T00:00:00", "alert:", "power:x", "complaint:",
               "hotspot:1:2024-01-01", "supervision_class:610000:v0", "supervision_class:610000:v999999999999"]
# Hostile variable values by the JSON type they replace, so that many still pass GraphQL coercion (a String
# may hold a lone surrogate, a JSON value 2**64 or NaN) and reach the resolvers; some are a different type.
DEEP = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
HOSTILE_BY_TYPE: dict[type, list[Any]] = {
    str: ["\ud800", "a\udfffb", "\x00", "x" * 100_000, "$gt", "\u202e", "", " "],
    int: [2**31, -(2**31) - 1, 2**64, -(2**63) - 1, 10**30, -1, 0],
    float: [math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324],
    dict: [{"\ud800": 1}, {"$gt": ""}, {"a": math.nan}, {"n": 2**64}, {"deep": DEEP}, {}],
    list: [DEEP, [math.nan], [2**64], ["\ud800"], [None], []],
}
HOSTILE_JSON: list[Any] = [v for values in HOSTILE_BY_TYPE.values() for v in values] + [None, True, "0" * 10_000]
GLOBAL_TYPES = ["Enterprise", "Plan", "Task", "Inspector", "Nope", ""]


@dataclass(frozen=True)
class Case:
    """One request to send: a document and its variables (None when every argument is a literal)."""

    query: str
    variables: dict[str, Any] | None = None
    fields: tuple[str, ...] = ()  # the root fields it calls


@dataclass
class Known:
    """Identifiers from the seeded dataset, so that generated documents reach past "not found"."""

    strings: list[str] = field(default_factory=list)
    global_ids: list[str] = field(default_factory=list)

    def add(self, *values: str | None) -> None:
        self.strings.extend(v for v in values if v and v not in self.strings)


def _string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


def _offsets() -> st.SearchStrategy[timezone]:
    return st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


def date_values(*, hostile: bool) -> st.SearchStrategy[graphql.ValueNode]:
    near = date(2026, 1, 1)
    values = st.one_of(st.dates(min_value=near - timedelta(days=900), max_value=near + timedelta(days=900)),
                       st.dates(), st.sampled_from([date.min, date.max, date(2024, 2, 29)]))
    strategy = values.map(lambda d: _string(d.isoformat()))
    if hostile:
        strategy |= st.sampled_from(["2024-02-30", "", "2024-1-1", "20240101", "+2024-01-01", "2024-01-01T00:00"])\
            .map(_string) | st.integers(*INT32).map(lambda n: graphql.IntValueNode(value=str(n)))
    return strategy


def datetime_values(*, hostile: bool) -> st.SearchStrategy[graphql.ValueNode]:
    aware = st.datetimes(timezones=st.just(UTC) | _offsets())
    edges = st.sampled_from([datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
                             datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
                             datetime(2026, 1, 1, tzinfo=UTC)])
    # Naive times are accepted by the DateTime scalar; a service that mixes them with aware ones raises.
    strategy = st.one_of(aware, edges, st.datetimes()).map(lambda d: _string(d.isoformat()))
    if hostile:
        strategy |= st.sampled_from(["", "now", "2024-01-01T25:00:00Z", "2024-01-01T00:00:00+99:00"]).map(_string)
    return strategy


def decimal_values(*, hostile: bool) -> st.SearchStrategy[graphql.ValueNode]:
    """Money in yuan: two decimals, edges of the range; hostile: NaN, infinities, too many decimals, huge, junk."""
    plain = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
    strategy = (plain.map(str) | st.sampled_from(["150000", "150000.00", "0.01", "0", "-1"])).map(_string)
    strategy |= st.integers(*INT32).map(lambda n: graphql.IntValueNode(value=str(n)))
    if hostile:
        strategy |= st.sampled_from(["NaN", "sNaN", "Infinity", "-Infinity", "1e30", "1e-30", "0.001", "", "abc",
                                     "1,000", "１０"]).map(_string)
        strategy |= st.sampled_from(["1e999", "0.5"]).map(lambda v: graphql.FloatValueNode(value=v))
    return strategy


def json_literals() -> st.SearchStrategy[graphql.ValueNode]:
    """JSON scalar literals: objects, lists, strings, numbers, including integers past 64 bits and 1e999 (which
    parses to infinity): valid GraphQL for a JSON argument, so positive cases carry them too."""
    ints = st.integers(-(2**53), 2**53) | st.sampled_from([2**63 - 1, -(2**63), 2**64, 10**30, -(10**30)])
    floats = st.floats(allow_nan=False, allow_infinity=False).map(repr) | st.sampled_from(["1e999", "-1e999"])
    names = st.from_regex(r"\A[a-z_][a-z0-9_]{0,11}\Z")
    leaves = st.one_of(
        ints.map(lambda n: graphql.IntValueNode(value=str(n))),
        floats.map(lambda f: graphql.FloatValueNode(value=f)),
        (st.text(max_size=20) | st.sampled_from(ODD_STRINGS)).map(_string),
        st.booleans().map(lambda b: graphql.BooleanValueNode(value=b)),
        st.just(graphql.NullValueNode()),
    )
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: graphql.ListValueNode(values=tuple(items))),
        st.dictionaries(names, inner, max_size=4).map(lambda d: graphql.ObjectValueNode(fields=tuple(
            graphql.ObjectFieldNode(name=NameNode(value=k), value=v) for k, v in d.items()))),
    ), max_leaves=12)


def string_values(known: Known, *, hostile: bool) -> st.SearchStrategy[graphql.ValueNode]:
    options = [st.text(max_size=30), st.sampled_from(ODD_STRINGS)]
    if known.strings:
        # Known identifiers most often: a document that only ever says "not found" tests little. In the order
        # they were seeded, so the same draw picks the same kind of identifier when the ids themselves differ.
        options = [st.sampled_from(known.strings)] * 3 + options
    if hostile:
        options.append(st.sampled_from(["\ud800", "a\udfffb"]))  # lone surrogates: the lexer must refuse them
    return st.one_of(*options).map(_string)


def id_values(known: Known) -> st.SearchStrategy[graphql.ValueNode]:
    forged = st.tuples(st.sampled_from(GLOBAL_TYPES), st.text(max_size=20)).map(
        lambda pair: base64.b64encode(f"{pair[0]}:{pair[1]}".encode("utf-8", "surrogatepass")).decode())
    options = [forged, st.text(max_size=20), st.sampled_from(["", "=", "!!!", "YQ", "Og==", "RW50ZXJwcmlzZQ=="])]
    if known.global_ids:
        options.insert(0, st.sampled_from(known.global_ids))
    return st.one_of(*options).map(_string)


def scalar_strategies(known: Known, *, hostile: bool) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """One strategy per scalar of the schema; the built-in ones are replaced to favour edges and known ids."""
    # Mostly small counts and page sizes (a page size out of 1..100 only ever says INVALID_PAGE_SIZE).
    ints = st.one_of(st.integers(1, 100), st.integers(1, 100), st.sampled_from(EDGE_INTS), st.integers(*INT32))
    floats = st.sampled_from(EDGE_FLOATS) | st.floats(allow_nan=False, allow_infinity=False)
    float_nodes = floats.map(lambda f: graphql.FloatValueNode(value=repr(f)))
    if hostile:
        float_nodes |= st.sampled_from(["1e999", "-1e999"]).map(lambda v: graphql.FloatValueNode(value=v))
    return {
        "Int": ints.map(lambda n: graphql.IntValueNode(value=str(n))),
        "Float": float_nodes | ints.map(lambda n: graphql.IntValueNode(value=str(n))),
        "String": string_values(known, hostile=hostile),
        "ID": id_values(known),
        "Date": date_values(hostile=hostile),
        "DateTime": datetime_values(hostile=hostile),
        "Decimal": decimal_values(hostile=hostile),
        "JSON": json_literals(),
    }


# --------------------------------------------------------------------------- literals → variables


def variabilize(document: DocumentNode, schema: graphql.GraphQLSchema) -> tuple[DocumentNode, dict[str, Any]]:
    """Move every field argument of the operation into a variable of the argument's declared type."""
    type_info = TypeInfo(schema)
    definitions: list[VariableDefinitionNode] = []
    values: dict[str, Any] = {}

    class Extract(Visitor):
        def enter_argument(self, node: ArgumentNode, *_args: Any) -> ArgumentNode | None:
            argument = type_info.get_argument()
            if argument is None or isinstance(node.value, VariableNode):
                return None  # an unknown argument (negative case) stays a literal
            name = f"v{len(definitions)}"
            variable = VariableNode(name=NameNode(value=name))
            definitions.append(VariableDefinitionNode(variable=variable, type=parse_type(str(argument.type))))
            values[name] = value_from_ast_untyped(node.value)
            return ArgumentNode(name=node.name, value=variable)

    changed = visit(document, TypeInfoVisitor(type_info, Extract()))
    operations = tuple(
        OperationDefinitionNode(operation=d.operation, name=d.name, variable_definitions=tuple(definitions),
                                directives=d.directives, selection_set=d.selection_set)
        if isinstance(d, OperationDefinitionNode) else d
        for d in changed.definitions)
    return DocumentNode(definitions=operations), values


def _poison(value: Any, draw: st.DrawFn) -> Any:
    """``value`` with one leaf (or itself) replaced by a hostile JSON value."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: _poison(value[key], draw)}
    if isinstance(value, list) and value and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], _poison(value[index], draw), *value[index + 1:]]
    like = HOSTILE_BY_TYPE.get(type(value))
    if like and draw(st.integers(0, 3)):
        return draw(st.sampled_from(like))
    return draw(st.sampled_from(HOSTILE_JSON))


def cases(schema: graphql.GraphQLSchema, known: Known, mode: Mode, fields: list[str]) -> st.SearchStrategy[Case]:
    hostile = mode == Mode.NEGATIVE
    documents = from_schema(schema, fields=fields, custom_scalars=scalar_strategies(known, hostile=hostile),
                            mode=mode, print_ast=lambda document: document)

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        document = draw(documents)
        roots = tuple(s.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode)
                      for s in d.selection_set.selections if isinstance(s, graphql.FieldNode))
        if not draw(st.booleans()):
            return Case(print_ast(document), None, roots)
        document, variables = variabilize(document, schema)
        if variables and draw(st.booleans()):
            name = draw(st.sampled_from(sorted(variables)))
            variables[name] = _poison(variables[name], draw)
        return Case(print_ast(document), variables, roots)

    return build()


def generate(schema: graphql.GraphQLSchema, known: Known, mode: Mode, *, fields: list[str], count: int,
             seed: int) -> list[Case]:
    """``count`` cases on root ``fields`` (fewer if Hypothesis runs out of distinct ones), the same for the
    same inputs."""
    collected: list[Case] = []

    @fixed_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases(schema, known, mode, fields))
    def collect(case: Case) -> None:
        collected.append(case)

    collect()
    return collected

