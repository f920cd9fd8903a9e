"""The scan page reads an invoice's QR code from the camera: chromium's fake camera plays a video of one."""

import pytest

from tests import factories
from tests.support.camera import qr_video
from yanpiao.fapiao import qr

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def camera_context(launch_chromium, open_context, register, tmp_path):
    """A context of a chromium whose camera films the QR code of a registered invoice, allowed to use it."""
    invoice = register(factories.invoice("32"))
    video = qr_video(qr.of_invoice(invoice), tmp_path / "camera.y4m")
    chromium = launch_chromium(
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    return open_context(browser=chromium, permissions=["camera"]), invoice


def test_the_scan_page_verifies_the_qr_code_the_camera_sees(camera_context):
    context, invoice = camera_context
    page = context.new_page()
    page.goto("/scan/")
    scanner = page.locator("[data-scan-state]")
    assert scanner.get_attribute("data-scan-state") == "idle"

    page.locator('[data-action="start-camera"]').click()
    page.locator('[data-scan-state="decoded"]').wait_for()
    assert page.locator("[data-decoded]").inner_text() == qr.of_invoice(invoice)
    page.locator('[data-outcome="authentic"]').wait_for()
