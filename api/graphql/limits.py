"""Query cost limit: the estimated number of nodes a query may return.

A list field's ``first`` argument multiplies the cost of everything below it, so
``enterprises(first: 100) { edges { node { history } } }`` counts 100 × the nested nodes.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


def _first(node: FieldNode, variables: dict[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if hasattr(value, "value"):
                try:
                    return max(1, int(value.value))
                except (TypeError, ValueError):
                    return 1
            if value.kind == "variable":
                return 100  # variables are unknown at validation: assume the largest page
    return 1


def make_node_limit(max_nodes: int) -> type[ValidationRule]:
    class NodeLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {f.name.value: f for f in context.document.definitions
                              if f.kind == "fragment_definition"}

        def _cost(self, selection_set: SelectionSetNode | None, depth: int = 0) -> int:
            if selection_set is None or depth > 50:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += _first(selection, {}) * (1 + self._cost(selection.selection_set, depth + 1))
                elif isinstance(selection, InlineFragmentNode):
                    total += self._cost(selection.selection_set, depth + 1)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is not None:
                        total += self._cost(fragment.selection_set, depth + 1)
            return total

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            cost = self._cost(node.selection_set)
            if cost > max_nodes:
                self.report_error(GraphQLError(
                    f"query may return about {cost} nodes, more than the limit of {max_nodes}",
                    node, extensions={"code": "QUERY_TOO_LARGE"},
                ))

    return NodeLimit
