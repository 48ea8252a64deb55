"""The service desk's reports for staff: server-drawn SVG charts of one period's figures.

The figures come from :func:`walletdesk.support.reports.get_report` in one call; this
module only turns them into chart labels in the reader's language.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from walletdesk.support.reports import DEFAULT_DAYS, PERIODS, Report, get_report
from walletdesk.web.charts import Bar, Labels, Series, bar_chart, stacked_bar_chart
from walletdesk.web.context import Page, StaffPage
from walletdesk.web.rendering import render

router = APIRouter(include_in_schema=False)


def duration(seconds: int | None, p: Page) -> str:
    """``3725`` -> "1h 2m" (or "45s"): how long something took, in the page's words."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return p.t("reports.seconds", n=seconds)
    minutes = seconds // 60
    hours, rest = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return p.t("reports.days_hours", d=days, h=hours)
    if hours:
        return p.t("reports.hours_minutes", h=hours, m=rest)
    return p.t("reports.minutes", m=rest)


def score(hundredths: int | None) -> str:
    """``423`` -> "4.23": an average kept in integers until it is printed."""
    if hundredths is None:
        return "—"
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _labels(p: Page, title: str, value_axis: str, category_axis: str) -> Labels:
    return Labels(
        title=p.t(title),
        value_axis=p.t(value_axis),
        category_axis=p.t(category_axis),
        table=p.t("reports.data_table"),
        empty=p.t("reports.no_data"),
    )


# Bar units for refund times, chosen by the slowest (p90) so the bars have a length:
# (upper bound in seconds, seconds per unit, axis label).
REFUND_UNITS = (
    (120, 1, "reports.axis_seconds"),
    (600 * 60, 60, "reports.axis_minutes"),
    (None, 3600, "reports.axis_hours"),
)


def refund_chart(p: Page, report: Report) -> Markup:
    times = report.refunds
    slowest = times.p90_seconds or 0
    unit, axis = next(
        (per, label) for bound, per, label in REFUND_UNITS if bound is None or slowest < bound
    )
    labels = _labels(p, "reports.refund_times", axis, "reports.axis_measure")
    if times.succeeded:
        labels = Labels(
            labels.title,
            labels.value_axis,
            labels.category_axis,
            labels.table,
            p.t("reports.instant"),
        )
    bars = [
        Bar(
            p.t("reports.median"),
            (times.median_seconds or 0) // unit,
            duration(times.median_seconds, p),
        ),
        Bar(p.t("reports.p90"), slowest // unit, duration(times.p90_seconds, p)),
    ]
    return bar_chart(bars if times.succeeded else [], labels)


def charts(p: Page, report: Report) -> dict[str, Markup]:
    tickets = "reports.axis_tickets"
    sla_targets = [p.t(f"reports.target.{s.target}") for s in report.sla]
    return {
        "by_category": bar_chart(
            [Bar(p.t(f"category.{c.key}"), c.count) for c in report.tickets_by_category],
            _labels(p, "reports.by_category", tickets, "reports.axis_category"),
        ),
        "by_channel": bar_chart(
            [Bar(p.t(f"agent.via.{c.key}"), c.count) for c in report.tickets_by_channel],
            _labels(p, "reports.by_channel", tickets, "reports.axis_channel"),
        ),
        "sla": stacked_bar_chart(
            sla_targets,
            [
                Series(p.t("reports.met"), tuple(s.met for s in report.sla), "ok"),
                Series(p.t("reports.breached"), tuple(s.breached for s in report.sla), "bad"),
                Series(p.t("reports.running"), tuple(s.running for s in report.sla), "muted"),
            ],
            _labels(p, "reports.sla", tickets, "reports.axis_target"),
        ),
        "csat": bar_chart(
            [Bar(p.t("reports.stars", n=c.key), c.count) for c in report.csat.by_score],
            _labels(p, "reports.csat", "reports.axis_answers", "reports.axis_score"),
        ),
        "refunds": refund_chart(p, report),
        "failures": bar_chart(
            [Bar(c.key, c.count) for c in report.payment_failures],
            _labels(p, "reports.failures", "reports.axis_attempts", "reports.axis_code"),
        ),
    }


@router.get("/admin/reports", response_class=HTMLResponse)
def reports_page(p: StaffPage, days: int = DEFAULT_DAYS) -> Response:
    chosen = days if days in PERIODS else DEFAULT_DAYS
    report = get_report(p.container.engine, p.me.user, now=p.container.clock.now(), days=chosen)
    return render(
        p,
        "admin/reports.html",
        report=report,
        charts=charts(p, report),
        periods=PERIODS,
        sla_times=[
            {
                "target": s.target,
                "median": duration(s.median_minutes * 60, p)
                if s.median_minutes is not None
                else "—",
                "p90": duration(s.p90_minutes * 60, p) if s.p90_minutes is not None else "—",
            }
            for s in report.sla
        ],
        average=score(report.csat.average_hundredths),
        refund_median=duration(report.refunds.median_seconds, p),
        refund_p90=duration(report.refunds.p90_seconds, p),
    )
