"""Query limits: depth, aliases and estimated nodes, measured in one pass that costs each fragment once.

A list field's ``first`` argument multiplies the cost of everything below it, so
``enterprises(first: 100) { edges { node { history } } }`` counts 100 × the nested nodes.

Fragments are measured once and remembered, so a chain of fragments that each spread the next twice
costs one visit per fragment, not 2^n. A spread that closes a cycle adds nothing: graphql-core's
``NoFragmentCyclesRule`` reports the cycle. Introspection fields (``__schema``, ``__type``) are not
limited, as with strawberry's depth limiter, so standard clients can introspect.
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


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_nodes: int


@dataclass(frozen=True)
class Measure:
    depth: int  # levels of fields below (and including) a selection set
    aliases: int
    nodes: int


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
        depth = aliases = nodes = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                below = self.selection_set(selection.selection_set, nesting + 1)
                depth = max(depth, 1 + below.depth)
                aliases += below.aliases + (1 if selection.alias else 0)
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
        return Measure(depth, min(aliases, CAP), min(nodes, CAP))

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
