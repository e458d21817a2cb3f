"""The organisation in the graph: units, levels, links, history and connections with cursors,
read from the real goals service with Oxelösund's demo data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

GraphQL = Callable[..., Awaitable[httpx.Response]]


def _data(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_committee_with_level_parent_breadcrumbs_and_children(gql: GraphQL) -> None:
    data = _data(
        await gql(
            """
            query Committee($id: ID!) {
              orgUnit(id: $id) {
                id code name levelKey level { key label rank }
                parent { id name }
                ancestors { id }
                children { nodes { id code validFrom validTo successor { id } } }
                current: children(asOf: "2025-06-30") { nodes { id } }
              }
            }
            """,
            {"id": "oxelosund-von"},
        )
    )
    von = data["orgUnit"]
    assert von["code"] == "VON"
    assert von["name"] == "Vård- och omsorgsnämnden"
    assert von["level"] == {"key": "committee", "label": "Nämnd", "rank": 1}
    assert von["parent"] == {"id": "oxelosund", "name": "Oxelösunds kommun"}
    assert von["ancestors"] == [{"id": "oxelosund"}]
    assert von["children"]["nodes"] == [
        {
            "id": "oxelosund-af",
            "code": "ÄF",
            "validFrom": None,
            "validTo": "2022-12-31",
            "successor": {"id": "oxelosund-vof"},
        },
        {
            "id": "oxelosund-sof",
            "code": "SOF",
            "validFrom": None,
            "validTo": "2022-12-31",
            "successor": {"id": "oxelosund-vof"},
        },
        {
            "id": "oxelosund-vof",
            "code": "VOF",
            "validFrom": "2023-01-01",
            "validTo": None,
            "successor": None,
        },
    ]
    assert von["current"]["nodes"] == [{"id": "oxelosund-vof"}]


async def test_breadcrumbs_of_a_unit_run_from_the_top(gql: GraphQL) -> None:
    data = _data(
        await gql(
            '{ orgUnit(id: "oxelosund-hemtjanst") { ancestors { id } active(asOf: "2025-01-01") } }'
        )
    )
    assert data["orgUnit"] == {
        "ancestors": [
            {"id": "oxelosund"},
            {"id": "oxelosund-von"},
            {"id": "oxelosund-vof"},
            {"id": "oxelosund-ao"},
        ],
        "active": True,
    }


async def test_history_shows_the_2023_merger(gql: GraphQL) -> None:
    data = _data(
        await gql(
            '{ orgUnit(id: "oxelosund-sof") { active(asOf: "2023-01-01") '
            "history { seq kind effectiveFrom recordedBy changedFields after } } }"
        )
    )
    unit = data["orgUnit"]
    assert unit["active"] is False
    history = unit["history"]
    assert [change["kind"] for change in history] == ["CREATED", "CLOSED"]
    closed = history[1]
    assert closed["effectiveFrom"] == "2022-12-31"
    assert closed["recordedBy"] == "seed"
    assert closed["changedFields"] == ["successor_id"]
    assert closed["after"]["successor_id"] == "oxelosund-vof"


async def test_levels_top_first(gql: GraphQL) -> None:
    data = _data(await gql("{ orgLevels { key label } }"))
    assert data["orgLevels"] == [
        {"key": "municipality", "label": "Kommun"},
        {"key": "committee", "label": "Nämnd"},
        {"key": "administration", "label": "Förvaltning"},
        {"key": "department", "label": "Verksamhetsområde"},
        {"key": "unit", "label": "Enhet"},
    ]


PAGE = """
query Units($parent: ID, $first: Int!, $after: String) {
  orgUnits(parentId: $parent, first: $first, after: $after) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_org_units_connection_pages_with_cursors(gql: GraphQL) -> None:
    first = _data(await gql(PAGE, {"parent": "oxelosund-ao", "first": 2}))["orgUnits"]
    assert [edge["node"]["id"] for edge in first["edges"]] == [
        "oxelosund-hemtjanst",
        "oxelosund-hsl",
    ]
    info = first["pageInfo"]
    assert info["hasNextPage"] is True
    assert info["hasPreviousPage"] is False
    assert info["startCursor"] == first["edges"][0]["cursor"]
    assert info["endCursor"] == first["edges"][1]["cursor"]

    rest = _data(
        await gql(PAGE, {"parent": "oxelosund-ao", "first": 2, "after": info["endCursor"]})
    )
    assert [edge["node"]["id"] for edge in rest["orgUnits"]["edges"]] == ["oxelosund-sabo"]
    assert rest["orgUnits"]["pageInfo"]["hasNextPage"] is False

    # Any edge's cursor resumes right after that edge, not only the end cursor.
    middle = first["edges"][0]["cursor"]
    resumed = _data(await gql(PAGE, {"parent": "oxelosund-ao", "first": 5, "after": middle}))
    assert [edge["node"]["id"] for edge in resumed["orgUnits"]["edges"]] == [
        "oxelosund-hsl",
        "oxelosund-sabo",
    ]


async def test_children_connection_pages_with_cursors(gql: GraphQL) -> None:
    query = """
    query Children($after: String) {
      orgUnit(id: "oxelosund-ao") {
        children(first: 1, after: $after) {
          edges { cursor node { id } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
    """
    seen: list[str] = []
    after: str | None = None
    for _ in range(5):
        children = _data(await gql(query, {"after": after}))["orgUnit"]["children"]
        seen += [edge["node"]["id"] for edge in children["edges"]]
        if not children["pageInfo"]["hasNextPage"]:
            break
        after = children["pageInfo"]["endCursor"]
    assert seen == ["oxelosund-hemtjanst", "oxelosund-hsl", "oxelosund-sabo"]


async def test_filters_by_level_and_date(gql: GraphQL) -> None:
    data = _data(
        await gql(
            '{ before: orgUnits(level: "administration", parentId: "oxelosund-von", '
            'asOf: "2022-06-30") { nodes { id } } '
            'after: orgUnits(level: "administration", parentId: "oxelosund-von", '
            'asOf: "2023-06-30") { nodes { id } } }'
        )
    )
    assert data["before"]["nodes"] == [{"id": "oxelosund-af"}, {"id": "oxelosund-sof"}]
    assert data["after"]["nodes"] == [{"id": "oxelosund-vof"}]


async def test_descendants_of_a_committee(gql: GraphQL) -> None:
    data = _data(
        await gql(
            '{ orgUnit(id: "oxelosund-von") { all: descendants { id } '
            'current: descendants(asOf: "2025-01-01") { id } } }'
        )
    )
    current = [
        "oxelosund-ao",
        "oxelosund-hemtjanst",
        "oxelosund-hsl",
        "oxelosund-ifo",
        "oxelosund-lss",
        "oxelosund-sabo",
        "oxelosund-so",
        "oxelosund-vof",
    ]
    assert [unit["id"] for unit in data["orgUnit"]["current"]] == current
    assert [unit["id"] for unit in data["orgUnit"]["all"]] == sorted(
        [*current, "oxelosund-af", "oxelosund-sof"]
    )
