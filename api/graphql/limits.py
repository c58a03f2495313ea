"""Query limits: depth, aliases and estimated nodes, measured in one pass that costs each fragment once.

A list field's ``first`` argument multiplies the cost of everything below it, so
``enterprises(first: 100) { edges { node { history } } }`` counts 100 × the nested nodes.

Fragments are measured once and remembered, so a chain of fragments that each spread the next twice
costs one visit per fragment, not 2^n. A spread that closes a cycle adds nothing: graphql-core's
``NoFragmentCyclesRule`` reports the cycle.

Introspection (``__schema``, ``__type``) has its own depth allowance, ``INTROSPECTION_MAX_DEPTH``, instead of
``max_depth``: the standard introspection query of graphql-js and graphql-core (``get_introspection_query``,
its type references 9 wrappers deep) nests 14 levels, more than the default limit of 10, and it is bounded by
the size of the schema, so it does not count towards the estimated nodes either. A deeper introspection
(``__type { ofType { ofType { … } } }``) is refused with ``QUERY_TOO_DEEP``; aliases count wherever they are,
``__typename`` included; graphql-core's ``MaxIntrospectionDepthRule`` refuses lists of types nested in lists
(``fields { type { fields { type { fields … }}}}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from core.error_codes import ErrorCode

CAP = 10**12  # costs saturate here: nothing above the limits needs an exact figure
MAX_NESTING = 200  # selection sets nested deeper than this are refused without measuring further
INTROSPECTION_MAX_DEPTH = 20  # levels below the root, as max_depth: the standard query needs 14
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_nodes: int


@dataclass(frozen=True)
class Measure:
    depth: int  # levels of fields below (and including) a selection set, introspection apart
    aliases: int
    nodes: int
    introspection: int = 0  # levels of the deepest introspection field (__schema, __type) below, itself included


EMPTY = Measure(0, 0, 0)


def _first(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if value.kind == "variable":
                return 100  # variables are unknown at validation: assume the largest page
            try:
                return max(1, min(CAP, int(getattr(value, "value", 1))))
            except (TypeError, ValueError):
                return 1
    return 1


class _Measurer:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Measure] = {}
        self.visiting: set[str] = set()
        self.too_deep = False

    def selection_set(self, node: SelectionSetNode | None, nesting: int) -> Measure:
        if node is None:
            return EMPTY
        if nesting > MAX_NESTING:
            self.too_deep = True
            return EMPTY
        depth = aliases = nodes = introspection = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                below = self.selection_set(selection.selection_set, nesting + 1)
                aliases += below.aliases + (1 if selection.alias else 0)
                if name in INTROSPECTION_ROOTS:  # bounded by the schema: its own depth, no node estimate
                    introspection = max(introspection, 1 + below.depth, below.introspection)
                    continue
                if name.startswith("__"):  # __typename: a leaf that clients add for their caches
                    continue
                depth = max(depth, 1 + below.depth)
                introspection = max(introspection, below.introspection)
                nodes += _first(selection) * (1 + below.nodes)
            else:
                if isinstance(selection, InlineFragmentNode):
                    below = self.selection_set(selection.selection_set, nesting + 1)
                elif isinstance(selection, FragmentSpreadNode):
                    below = self.fragment(selection.name.value, nesting)
                else:  # pragma: no cover - graphql-core has no other selection kind
                    continue
                depth = max(depth, below.depth)
                aliases += below.aliases
                nodes += below.nodes
                introspection = max(introspection, below.introspection)
        return Measure(depth, min(aliases, CAP), min(nodes, CAP), introspection)

    def fragment(self, name: str, nesting: int) -> Measure:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return EMPTY  # unknown fragments and cycles are reported by graphql-core's own rules
        self.visiting.add(name)
        try:
            measure = self.selection_set(definition.selection_set, nesting + 1)
        finally:
            self.visiting.discard(name)
        self.memo[name] = measure
        return measure


def make_limit_rule(limits: Limits) -> type[ValidationRule]:
    class QueryLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            fragments = {d.name.value: d for d in context.document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            self.measurer = _Measurer(fragments)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            measure = self.measurer.selection_set(node.selection_set, 0)
            depth = max(0, measure.depth - 1)
            if self.measurer.too_deep or depth > limits.max_depth:
                self._refuse(f"the operation is nested deeper than the limit of {limits.max_depth}",
                             node, ErrorCode.QUERY_TOO_DEEP)
            elif measure.introspection - 1 > INTROSPECTION_MAX_DEPTH:
                self._refuse(f"the introspection is nested deeper than the limit of {INTROSPECTION_MAX_DEPTH}",
                             node, ErrorCode.QUERY_TOO_DEEP)
            if measure.aliases > limits.max_aliases:
                self._refuse(f"the operation uses {measure.aliases} aliases, more than the limit of "
                             f"{limits.max_aliases}", node, ErrorCode.TOO_MANY_ALIASES)
            if measure.nodes > limits.max_nodes:
                self._refuse(f"query may return about {measure.nodes} nodes, more than the limit of "
                             f"{limits.max_nodes}", node, ErrorCode.QUERY_TOO_LARGE)
            return False  # the measurer has seen everything below: skip the subtree

        def _refuse(self, message: str, node: OperationDefinitionNode, code: ErrorCode) -> None:
            self.report_error(GraphQLError(message, node, extensions={"code": code}))

    return QueryLimits
