"""The committee dashboard query: a front end's main screen in one request.

Goals of a committee's plans with their measures, latest values, targets and computed statuses,
the goals' judgements for the period, the roll-up, and the budget summary and deviation
statistics of the committee's subtree. ``tests/test_dashboard.py`` runs it (and counts the service
calls it costs); the benchmark builds on it. Variables: ``unit`` (org unit id), ``year``,
``period`` (follow-up period key, e.g. ``helar``), ``month`` (last budget month, default 12).
"""

from __future__ import annotations

DASHBOARD_QUERY = """
query CommitteeDashboard($unit: ID!, $year: Int!, $period: String!, $month: Int = 12) {
  orgUnit(id: $unit) {
    id
    name
    plans(year: $year) {
      id
      name
      followUp(year: $year, period: $period) {
        periodLabel
        total { goals fulfilled percent resultLevel }
        activities { total byStatus { label count percent } }
      }
      goals(year: $year) {
        id
        code
        title
        levelLabel
        parentId
        periodStatus(period: $period) {
          reported
          fulfilled
          assessment { kind answer colour }
          activities { total }
        }
        measures {
          id
          code
          name
          unitKind
          decimals
          targets { segment target { op value benchmark } }
          latest(period: $period) { segment value period status trend target { op value } }
        }
      }
    }
    budget(year: $year, period: $month) {
      total { budget outcome forecast forecastDeviation deviation }
      byActivity { key name budget outcome forecast deviation }
      deficits(withoutMeasures: true) {
        level activityCode activityName orgUnitName forecastDeviation
      }
    }
    deviationStatistics(year: $year) {
      suppressed
      total { count text }
      overdue { count text }
      byKind { group count text }
    }
  }
}
"""
