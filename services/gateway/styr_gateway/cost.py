"""Query cost: what a document may cost the services, computed before anything runs.

The cost of an operation is the sum, over the fields it selects, of each field's *weight* (the
service calls resolving it once may make: 1 for a field that loads from a service, 0 for one
answered from its parent's data) times the number of times it can be resolved: the product of
the sizes of the lists around it. A list's size is its ``first`` argument (a connection: its
``edges`` and ``nodes``), else the size declared for the field (a typical maximum, e.g. a plan's
goals), else :data:`DEFAULT_LIST_SIZE`.

- Fields are grouped by response key as execution groups them: the same field selected twice
  (directly, through fragments or inline fragments) costs once; aliases, which differ in their
  arguments, each cost.
- ``@skip``/``@include`` are honoured with the request's variables; variables are read raw
  (a value that is not an integer falls back to the argument's default).
- Introspection (``__schema``, ``__type``) and ``__typename`` cost nothing: the gateway answers
  them itself.
- A field of a union or interface type (``_entities``) costs what its most costly possible type
  selects, each type counting only the fragments on it.
- A field served from a read made at most once per request (``once``: the whole organisation,
  its change feed, its levels) costs its weight once per place in the document: a four-level
  org tree costs the same for 13 or 100 units, in calls and in cost.

The model bounds the work a query can cause, whatever batching later saves: the dashboard costs
about a thousand at the declared sizes, a query asking every measure's values under thirty
aliases more than twenty thousand. Weights and sizes are declared next to the types, in each
``types/<domain>.py`` module's ``COSTS`` (keyed ``Type.field``); ``tests/test_cost.py`` checks
that every field with an async resolver has a weight and every list that can reach one a size.

graphql-core and strawberry have no cost rule (strawberry's limiters count depth, aliases and
tokens). The one maintained Python package for it (``graphql-complexity``) does not unwrap
non-null lists (``[Goal!]!`` is not multiplied), takes the multiplier from one argument name only,
has no per-field list sizes and pins an older strawberry, so the walk is written here.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_input_type,
    is_list_type,
    type_from_ast,
    value_from_ast,
)
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from styr_gateway.documents import DocumentCache
from styr_gateway.errors import ErrorCode, GatewayError

DEFAULT_LIST_SIZE = 10
"""The size of a list whose field declares none."""
MAX_PAGE = 500
"""The largest ``first`` the connections accept; a larger one is refused by the field itself."""
PAGE_ARGUMENT = "first"


@dataclass(frozen=True)
class FieldCost:
    """What resolving a field once may cost.

    ``weight``: service calls (1 for a field loading from a service); ``size``: for a list field
    without a ``first`` argument, how many items to expect at most in practice.
    """

    weight: int = 1
    size: int | None = None
    once: bool = False
    """Served from a read made at most once per request (the whole organisation, its change
    feed, its levels): the weight counts once per place in the document, not per item."""
    size_from: str | None = None
    """For a list as long as one of its list arguments (``_entities(representations:)``):
    that argument's name; its length is the size."""


FREE = FieldCost(weight=0)
Costs = Mapping[str, FieldCost]


def too_costly(cost: int, limit: int) -> GatewayError:
    return GatewayError(
        f"The query would cost {cost} (service calls, lists counted at their `first` or "
        f"declared size); at most {limit} are accepted. Ask for fewer items or fields, or split "
        "the query.",
        ErrorCode.QUERY_TOO_COSTLY,
        cost=cost,
        maxCost=limit,
    )


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any],
        costs: Costs,
    ) -> None:
        self.schema = schema
        self.costs = costs
        self.variables = variables
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def _included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            value: Any = name == "include"
            for argument in directive.arguments or ():
                if argument.name.value != "if":
                    continue
                if isinstance(argument.value, BooleanValueNode):
                    value = argument.value.value
                elif isinstance(argument.value, VariableNode):
                    # Unknown or not a boolean: counted (the request fails coercion anyway).
                    raw = self.variables.get(argument.value.name.value)
                    value = raw if isinstance(raw, bool) else name == "include"
            if (name == "skip") == bool(value):
                return False
        return True

    def _applies(self, condition: NamedTypeNode | None, on: GraphQLObjectType | None) -> bool:
        """Whether a fragment's type condition can match ``on`` (always when either is unknown
        or the condition names an abstract type)."""
        if condition is None or on is None:
            return True
        named = self.schema.get_type(condition.name.value)
        return not isinstance(named, GraphQLObjectType) or named.name == on.name

    def _collect(
        self,
        selection_sets: Iterable[SelectionSetNode],
        seen: frozenset[str] = frozenset(),
        on: GraphQLObjectType | None = None,
    ) -> Generator[FieldNode]:
        for selection_set in selection_sets:
            for selection in selection_set.selections:
                if not self._included(selection):  # type: ignore[arg-type]
                    continue
                if isinstance(selection, FieldNode):
                    yield selection
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, on):
                        yield from self._collect([selection.selection_set], seen, on)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if (
                        fragment is not None
                        and name not in seen  # cycles: refused by validation
                        and self._applies(fragment.type_condition, on)
                    ):
                        yield from self._collect([fragment.selection_set], seen | {name}, on)

    def _page(self, node: FieldNode, field: GraphQLField) -> int | None:
        definition = field.args.get(PAGE_ARGUMENT)
        if definition is None:
            return None
        value: Any = Undefined
        for argument in node.arguments or ():
            if argument.name.value == PAGE_ARGUMENT:
                value = value_from_ast(argument.value, definition.type, self.variables)
        if not isinstance(value, int) or isinstance(value, bool):
            value = definition.default_value
        if not isinstance(value, int):
            return DEFAULT_LIST_SIZE
        return max(0, min(value, MAX_PAGE))

    def _length(self, node: FieldNode, field: GraphQLField, argument_name: str) -> int | None:
        """The length of a list argument as sent (``None`` when it is not a list)."""
        definition = field.args.get(argument_name)
        if definition is None:
            return None
        for argument in node.arguments or ():
            if argument.name.value == argument_name:
                value = value_from_ast(argument.value, definition.type, self.variables)
                return len(value) if isinstance(value, list) else None
        return None

    def abstract_cost(
        self,
        abstract: GraphQLUnionType | GraphQLInterfaceType,
        selection_sets: list[SelectionSetNode],
        page: int | None,
    ) -> tuple[int, int]:
        """The cost of the most costly possible type of ``abstract``."""
        costs = [
            self.cost(possible, selection_sets, page, on=possible)
            for possible in self.schema.get_possible_types(abstract)
        ]
        return max(costs, key=sum, default=(0, 0))

    def cost(
        self,
        parent: GraphQLObjectType,
        selection_sets: Iterable[SelectionSetNode],
        page: int | None = None,
        on: GraphQLObjectType | None = None,
    ) -> tuple[int, int]:
        """The cost of ``selection_sets`` on ``parent``: what grows with the lists around it,
        and what does not (``once`` fields). ``page`` sizes the lists of a connection; ``on``
        keeps only the fragments that apply to that type (below a union or interface)."""
        grouped: dict[str, list[FieldNode]] = {}
        for node in self._collect(selection_sets, on=on):
            key = node.alias.value if node.alias else node.name.value
            grouped.setdefault(key, []).append(node)
        scaled = fixed = 0
        for nodes in grouped.values():
            name = nodes[0].name.value
            field = parent.fields.get(name)
            if name.startswith("__") or field is None:
                continue
            declared = self.costs.get(f"{parent.name}.{name}", FREE)
            if declared.once:
                fixed += declared.weight
            else:
                scaled += declared.weight
            named = get_named_type(field.type)
            if not isinstance(named, GraphQLObjectType | GraphQLUnionType | GraphQLInterfaceType):
                continue
            multiplier = 1
            if is_list_field(field):
                multiplier = page if page is not None else (declared.size or DEFAULT_LIST_SIZE)
                if declared.size_from is not None:
                    length = self._length(nodes[0], field, declared.size_from)
                    multiplier = length if length is not None else multiplier
            below = [node.selection_set for node in nodes if node.selection_set]
            child_page = self._page(nodes[0], field)
            if isinstance(named, GraphQLObjectType):
                child_scaled, child_fixed = self.cost(named, below, child_page)
            else:
                child_scaled, child_fixed = self.abstract_cost(named, below, child_page)
            scaled += multiplier * child_scaled
            fixed += child_fixed
        return scaled, fixed


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    costs: Costs,
) -> int | None:
    """The cost of the operation that would run; None when there is none to run (the request
    fails without any call)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    given = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in given and definition.default_value is not None:
            variable_type = type_from_ast(schema, definition.type)
            if is_input_type(variable_type):
                given[name] = value_from_ast(definition.default_value, variable_type)
    return sum(_Walk(schema, document, given, costs).cost(root, [operation.selection_set]))


def is_list_field(field: GraphQLField) -> bool:
    inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    return is_list_type(inner)


class QueryCostLimiter(SchemaExtension):
    """Refuse an operation whose cost exceeds ``max_cost`` before anything executes.

    Runs after validation (only a valid document is costed: the other rules' errors come
    first), with the request's variables;
    the refusal is a request error (``QUERY_TOO_COSTLY``, with ``cost`` and ``maxCost``).
    The cost of every request is kept on the context (``extensions.upstream.cost`` when
    upstream statistics are on).
    """

    def __init__(
        self, *, max_cost: int, costs: Costs, documents: DocumentCache | None = None
    ) -> None:
        self.max_cost = max_cost
        self.costs = costs
        self.documents = documents

    def on_validate(self) -> Generator[None]:
        # Strawberry checks for errors inside its validation step, before the code after this
        # hook's yield; so validate here (strawberry skips its own run when errors are set).
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            context.pre_execution_errors = self._validate(context)
            if not context.pre_execution_errors:
                self._check(context)
        yield

    def _validate(self, context: ExecutionContext) -> list[GraphQLError]:
        """The document's validation errors; none, without validating, for a document that
        validated before (``documents``: the rules do not change while the schema lives)."""
        assert context.graphql_document is not None
        query, options = context.query, context.parse_options
        if self.documents is not None and query and self.documents.is_valid(query, options):
            return []
        errors = validate_document(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        if not errors and self.documents is not None and query:
            self.documents.mark_valid(query, options)
        return errors

    def _check(self, context: ExecutionContext) -> None:
        assert context.graphql_document is not None
        cost = query_cost(
            context.schema._schema,
            context.graphql_document,
            context.variables,
            context.operation_name,
            self.costs,
        )
        if cost is None:
            return
        if hasattr(context.context, "cost"):
            context.context.cost = cost
        if cost > self.max_cost:
            context.pre_execution_errors = [too_costly(cost, self.max_cost)]
