"""An auditor's alert pages in the browser: the dashboard's charts drawn and drilled into, an alert
resolved; every page fits a phone and has no serious accessibility problem."""

import re

import pytest
from playwright.sync_api import expect

from yanpiao.accounts.models import Role
from yanpiao.alerts import services
from yanpiao.alerts.models import Alert
from yanpiao.risk import codes

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "queue": "/alerts/",
    "dashboard": "/alerts/dashboard/",
    "alert": "/alerts/{alert}/",
    "settings": "/alerts/settings/",
}


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, email="auditor@example.com", display_name="审计员甲")


@pytest.fixture
def alerts(scene):
    """Two alerts of forgery probing and one of enumeration; the first has the scene's check as evidence."""
    probing = services.raise_alert(
        codes.FORGERY_PROBING, "high", "invoice", "1", "Repeated mismatches.", [scene.verification_id]
    )
    services.raise_alert(codes.FORGERY_PROBING, "medium", "invoice", "2", "Repeated mismatches.")
    services.raise_alert(codes.ENUMERATION, "low", "address", "abc", "Many not found.")
    return probing


@pytest.fixture
def auditor_page(open_context, sign_in, auditor):
    def _open(viewport: str = "desktop"):
        context = open_context(viewport)
        sign_in(context, auditor)
        return context.new_page()

    return _open


def bar_position(page, chart: str, index: int) -> dict:
    """Where on the screen bar ``index`` of the chart's first dataset is drawn (scrolled into view)."""
    page.locator(f'[data-chart="{chart}"]').scroll_into_view_if_needed()
    return page.evaluate(
        """([name, index]) => {
            const canvas = document.querySelector(`[data-chart="${name}"]`);
            const bar = Chart.getChart(canvas).getDatasetMeta(0).data[index];
            const box = canvas.getBoundingClientRect();
            const props = bar.getProps(["x", "y", "base", "horizontal"], true);
            const x = props.horizontal ? (props.x + props.base) / 2 : props.x;
            const y = props.horizontal ? props.y : (props.y + props.base) / 2;
            return {x: box.left + x, y: box.top + y};
        }""",
        [chart, index],
    )


def test_the_dashboard_draws_its_charts_and_a_bar_opens_the_alerts_of_its_kind(auditor_page, alerts):
    page = auditor_page()
    page.goto("/alerts/dashboard/")
    expect(page.locator('[data-chart="byKind"][data-drawn="true"]')).to_have_count(1)
    expect(page.locator('[data-chart="perDay"][data-drawn="true"]')).to_have_count(1)
    drawn = page.evaluate(
        """() => ["perDay", "byKind"].map(name =>
            Chart.getChart(document.querySelector(`[data-chart="${name}"]`)).data.datasets[0].data
                .reduce((sum, n) => sum + n, 0))"""
    )
    assert drawn == [1, 3]
    labels = page.evaluate(
        """() => Chart.getChart(document.querySelector('[data-chart="byKind"]')).data.labels"""
    )
    index = labels.index("疑似伪造试探")
    position = bar_position(page, "byKind", index)
    page.mouse.click(position["x"], position["y"])
    page.wait_for_url(re.compile(r"/alerts/\?kind=forgery_probing$"))
    kinds = page.locator("[data-alert]").evaluate_all("rows => rows.map(row => row.dataset.kind)")
    assert kinds == ["forgery_probing", "forgery_probing"]


def test_an_auditor_resolves_an_alert_from_its_page(auditor_page, alerts, scene):
    page = auditor_page()
    page.goto("/alerts/?kind=forgery_probing")
    page.locator(f'[data-alert="{alerts.public_id}"] [data-action="open"]').click()
    expect(page.locator(f'[data-evidence="{scene.verification_id}"]')).to_have_count(1)
    page.locator('[data-form="close"] textarea').fill("已核实，是录入错误")
    page.locator('[data-step="resolve"]').click()
    expect(page.locator(f'article[data-alert="{alerts.public_id}"]')).to_have_attribute(
        "data-status", "resolved"
    )
    expect(page.locator("[data-note]")).to_have_count(1)
    assert Alert.objects.get(pk=alerts.pk).status == "resolved"
    page.goto("/")
    expect(page.locator("[data-alert-count]")).to_have_attribute("data-alert-count", "2")


def test_a_bulk_action_from_the_queue_acknowledges_the_ticked_alerts(auditor_page, alerts):
    page = auditor_page()
    page.goto("/alerts/")
    page.locator(f'[data-alert="{alerts.public_id}"] input[type=checkbox]').check()
    page.locator("[data-bulk-action]").select_option("acknowledge")
    page.locator('[data-action="bulk"]').click()
    expect(page.locator(f'[data-alert="{alerts.public_id}"]')).to_have_attribute(
        "data-status", "acknowledged"
    )


def visit(page, name: str, alert) -> None:
    response = page.goto(PAGES[name].format(alert=alert.public_id))
    assert response.status == 200, f"{name} answered {response.status}"
    if name == "dashboard":
        expect(page.locator('[data-chart="byKind"][data-drawn="true"]')).to_have_count(1)


@pytest.mark.parametrize("name", PAGES)
def test_the_alert_page_fits_a_phone_without_scrolling_sideways(auditor_page, alerts, name):
    page = auditor_page("phone")
    visit(page, name, alerts)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize("name", PAGES)
def test_the_alert_page_has_no_serious_accessibility_violation(auditor_page, alerts, axe, name):
    page = auditor_page()
    visit(page, name, alerts)
    violations, description = axe(page)
    assert not violations, f"{name}:\n{description}"
