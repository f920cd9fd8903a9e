"""The upload and scan pages: real documents of registered invoices (PDF, OFD, XML, a phone photo,
a QR payload), each verified through the service and shown as a card with its outcome."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.photo import simulate_photo
from yanpiao.demo.documents import rendered
from yanpiao.fapiao import qr
from yanpiao.verification.models import Verification
from yanpiao.web.intake import MAX_FILES

pytestmark = pytest.mark.django_db

XHR = {"headers": {"X-Requested-With": "XMLHttpRequest"}}


def cards(html: str) -> list[str]:
    """Every document's card on the page."""
    return re.findall(r"<article[^>]*\bdata-document\b.*?</article>", html, re.S)


def outcomes(html: str) -> list[str]:
    return re.findall(r'data-outcome="([^"]+)"', html)


def upload(client, *files, **extra):
    return client.post("/upload/", {"files": list(files)}, **extra)


def pdf_of(invoice) -> SimpleUploadedFile:
    return SimpleUploadedFile("发票.pdf", rendered(invoice)["pdf"], "application/pdf")


def assert_every_card_has_an_outcome(html: str) -> None:
    found = cards(html)
    assert found
    for card in found:
        assert 'data-outcome="' in card, card


# --- upload ------------------------------------------------------------------------------------


def test_the_upload_page_has_a_labelled_file_input_a_drop_zone_and_a_progress_bar(client):
    page = client.get("/upload/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<input type="file" name="files"[^>]*multiple', html)
    assert 'accept=".pdf,.ofd,.xml,.jpg,.jpeg,.png,.txt"' in html
    assert '<label for="id_files">发票文件</label>' in html
    assert "data-drop-zone" in html and "<progress" in html
    assert 'enctype="multipart/form-data"' in html and "web/upload.js" in html


def test_a_pdf_and_a_photo_of_a_registered_invoice_each_give_an_authentic_card(client, register):
    invoice = register(type="32")
    photo = SimpleUploadedFile("照片.jpg", simulate_photo(invoice, seed=3), "image/jpeg")
    page = upload(client, pdf_of(invoice), photo)
    assert page.status_code == 200
    html = page.content.decode()
    pdf_card, photo_card = cards(html)
    assert "发票.pdf" in pdf_card and "PDF 电子发票" in pdf_card and "照片.jpg" in photo_card
    assert outcomes(pdf_card) == ["authentic"] and outcomes(photo_card) == ["authentic"]
    assert_every_card_has_an_outcome(html)
    assert Verification.objects.filter(channel="upload", outcome="authentic").count() == 2


def test_an_ofd_and_a_digital_invoice_xml_are_read_too(client, register):
    documents = rendered(register(type="31"))
    files = [SimpleUploadedFile(f"invoice.{kind}", documents[kind]) for kind in ("ofd", "xml")]
    html = upload(client, *files).content.decode()
    assert outcomes(html) == ["authentic", "authentic"]
    assert "OFD 电子发票" in html and "数电发票 XML 文件" in html


def test_a_signed_in_users_upload_is_in_their_history(client, login, make_user, register):
    user = make_user()
    upload(login(user), pdf_of(register(type="01")))
    assert Verification.objects.get().actor == user


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.pdf", b"", "malformed"),
        ("notes.txt", b"not an invoice at all", "not_supported"),
        ("broken.pdf", b"%PDF-1.4 garbage", "malformed"),
        ("other.xml", b"<x/>", "not_invoice"),
    ],
)
def test_a_file_that_is_no_invoice_is_a_refused_card_and_the_page_is_still_200(client, name, data, reason):
    page = upload(client, SimpleUploadedFile(name, data))
    assert page.status_code == 200
    (card,) = cards(page.content.decode())
    assert 'data-outcome="refused"' in card and f'data-reason="{reason}"' in card
    assert name in card and "无法查验" in card
    assert reason not in re.sub(r'data-reason="[^"]*"', "", card)  # the reason shows in words only


def test_a_refused_file_does_not_stop_the_others(client, register):
    html = upload(
        client, SimpleUploadedFile("junk.bin", b"\x00\x01"), pdf_of(register(type="04"))
    ).content.decode()
    assert outcomes(html) == ["refused", "authentic"]
    assert_every_card_has_an_outcome(html)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, settings, monkeypatch):
    settings.YANPIAO_INTAKE_LIMITS = {"max_bytes": 1024}
    monkeypatch.setattr("yanpiao.verification.services.verify_document", pytest.fail)
    html = upload(client, SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2048)).content.decode()
    (card,) = cards(html)
    assert 'data-reason="too_large"' in card and "1.0 KB" in card


def test_more_than_ten_files_is_a_400_with_the_message_beside_the_field(client):
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(MAX_FILES + 1)]
    page = upload(client, *files)
    assert page.status_code == 400
    html = page.content.decode()
    assert re.search(r'data-error-for="files">.*一次最多上传 10 个文件', html, re.S)
    assert not cards(html) and not Verification.objects.exists()


def test_more_files_than_django_accepts_is_a_400_not_a_500(client):
    page = upload(client, *[SimpleUploadedFile(f"{n}.txt", b"x") for n in range(120)])
    assert page.status_code == 400


def test_posting_no_file_is_a_400_asking_for_one(client):
    page = client.post("/upload/", {})
    assert page.status_code == 400
    assert "请选择至少一个文件" in page.content.decode()


def test_the_script_gets_only_the_cards(client, register):
    page = upload(client, pdf_of(register(type="32")), SimpleUploadedFile("a.txt", b"hello"), **XHR)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" not in html and "<form" not in html
    assert outcomes(html) == ["authentic", "refused"]
    assert_every_card_has_an_outcome(html)


def test_the_script_gets_the_fields_with_the_error_for_too_many_files(client):
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(MAX_FILES + 1)]
    page = upload(client, *files, **XHR)
    assert page.status_code == 400
    html = page.content.decode()
    assert "<html" not in html and 'name="files"' in html and 'data-error-for="files"' in html


def test_too_many_checks_is_the_429_page(client, settings, register):
    settings.YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE = 1
    page = upload(client, pdf_of(register(type="32")), pdf_of(register(type="32")))
    assert page.status_code == 429
    assert 'data-error="429"' in page.content.decode() and page["Retry-After"]


# --- scan --------------------------------------------------------------------------------------


def test_the_scan_page_has_a_camera_preview_and_a_text_box_for_a_scanner(client):
    page = client.get("/scan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<video" in html and 'data-action="start-camera"' in html and "打开摄像头" in html
    assert 'data-scan-state="idle"' in html and "data-decoded" in html
    assert re.search(r'<input type="text" name="payload"[^>]*autofocus', html)
    assert '<label for="id_payload">二维码内容</label>' in html
    assert "vendor/jsqr/jsQR.js" in html and "web/scan.js" in html


def test_a_scanned_qr_payload_of_a_registered_invoice_is_authentic_and_kept_on_the_qr_channel(
    client, login, make_user, register
):
    user = make_user()
    invoice = register(type="04")
    page = login(user).post("/scan/", {"payload": f"  {qr.of_invoice(invoice)}\n"})
    assert page.status_code == 200
    assert outcomes(page.content.decode()) == ["authentic"]
    check = Verification.objects.get()
    assert (check.channel, check.outcome, check.actor) == ("qr", "authentic", user)


def test_the_script_gets_only_the_result_card(client, register):
    page = client.post("/scan/", {"payload": qr.of_invoice(register(type="32"))}, **XHR)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" not in html and outcomes(html) == ["authentic"]


@pytest.mark.parametrize("payload", ["", "hello", "01,04,1100,", "01,04," + "9" * 400, "x" * 600])
def test_a_payload_that_is_no_invoice_qr_is_a_400_with_the_error_beside_the_field(client, payload):
    page = client.post("/scan/", {"payload": payload})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'data-error-for="payload"' in html and "data-outcome" not in html


def test_the_script_gets_the_field_with_its_error_for_a_payload_that_is_no_qr(client):
    page = client.post("/scan/", {"payload": "hello"}, **XHR)
    assert page.status_code == 400
    html = page.content.decode()
    assert "<html" not in html and "这不是发票二维码的内容" in html and 'name="payload"' in html


def test_a_qr_payload_with_a_future_issue_date_names_the_field_beside_the_box(client, register):
    invoice = register(type="04")
    payload = qr.of_invoice(invoice).replace(invoice.issue_date.strftime("%Y%m%d"), "20990307")
    page = client.post("/scan/", {"payload": payload})
    assert page.status_code == 400
    assert re.search(
        r'data-error-for="payload">.*二维码中的发票信息有误：开票日期', page.content.decode(), re.S
    )
