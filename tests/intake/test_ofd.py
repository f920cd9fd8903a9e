"""The OFD reader (yanpiao.intake.ofd) on packages built like the real samples."""

import pytest

from yanpiao.intake import ofd
from yanpiao.intake.limits import Limits, RefusedDocument
from yanpiao.intake.reader import extract

from .conftest import (
    DIGITAL_QR,
    XBRL_ORDINARY,
    XBRL_ORDINARY_LINE,
    XBRL_RAILWAY,
    build_digital_ofd,
    build_original_ofd,
    build_page_text_ofd,
    build_xbrl_ofd,
    qr_png,
    xbrl_instance,
    zip_entries,
)

TEST_CA = b"\x0c\x14" + "税务测试CA2(SM2)".encode()  # the issuer CN as the test sample's DER has it


def read_one(data: bytes, **limits):
    extraction = extract(data, Limits(**limits)) if limits else extract(data)
    assert extraction.format == "ofd" and len(extraction.candidates) == 1
    return extraction.candidates[0]


def rules(candidate) -> list[tuple[str, str]]:
    return [(f.rule, f.field) for f in candidate.findings]


# --- 2024 数电: CustomTag → page text, CustomDatas, PNG QR ------------------------------------------


def test_a_digital_ofd_is_read_from_its_tags_datas_and_qr():
    c = read_one(build_digital_ofd())
    f = c.fields
    assert (f["type"], f["number"], f["issue_date"]) == ("31", "24112000000048542163", "2024-05-28")
    assert (f["amount"], f["tax"], f["total"]) == ("4197.17", "251.83", "4449.00")
    assert f["seller"] == {"name": "北京示例科技有限公司", "tax_id": "91110108690017781B"}
    assert f["buyer"] == {"name": "海南测试云服科技有限公司", "tax_id": "91460300MAA92DJN95"}
    assert f["items"] == [
        {"name": "*信息技术服务*技术服务费", "tax_rate": "0.06", "amount": "4197.17", "tax": "251.83"}
    ]
    assert (f["total_in_words"], f["drawer"], f["remarks"]) == ("肆仟肆佰肆拾玖圆整", "王芳", "收款人:李四;")
    assert c.sources["total"] == "text" and c.sources["seller.tax_id"] == "xml" and c.sources["type"] == "qr"
    assert c.qr == {
        "type": "31",
        "number": "24112000000048542163",
        "issue_date": "2024-05-28",
        "total": "4449.00",
    }
    assert c.findings == [] and not c.refused


def test_the_query_is_keyed_by_the_qr_code():
    query = read_one(build_digital_ofd()).query()
    assert (query.type, query.number, query.total) == ("31", "24112000000048542163", "4449.00")


def test_an_amount_tag_pointing_only_at_the_yen_sign_takes_the_next_text():
    f = read_one(build_digital_ofd(yen_only=True)).fields
    assert (f["amount"], f["tax"], f["total"]) == ("4197.17", "251.83", "4449.00")


@pytest.mark.parametrize(
    ("title", "type_code"),
    [("电子发票（增值税专用发票）", "31"), ("电子发票（普通发票）", "32"), ("发票", "")],
)
def test_without_a_qr_code_the_type_comes_from_the_printed_title(title, type_code):
    c = read_one(build_digital_ofd(qr=None, title=title))
    assert c.fields.get("type", "") == type_code and c.qr == {}
    if type_code:
        assert c.sources["type"] == "text"


def test_a_printed_total_that_differs_from_the_qr_code_is_reported():
    c = read_one(build_digital_ofd(printed={"total": "5449.00", "words": "伍仟肆佰肆拾玖圆整"}))
    assert c.fields["total"] == "5449.00" and c.qr["total"] == "4449.00"
    assert ("consistency.qr_text", "total") in rules(c)
    assert ("arithmetic.total", "total") in rules(c)
    assert all(f.severity == "warning" for f in c.findings if f.rule.startswith("consistency."))


def test_a_printed_amount_that_differs_from_the_custom_datas_is_reported():
    c = read_one(build_digital_ofd(printed={"amount": "5197.17"}))
    assert c.fields["amount"] == "5197.17" and c.sources["amount"] == "text"
    finding = next(f for f in c.findings if f.rule == "consistency.ofd_data")
    assert finding.field == "amount" and "4197.17" in finding.message and "5197.17" in finding.message


def test_words_that_do_not_state_the_total_are_an_error():
    c = read_one(build_digital_ofd(printed={"words": "肆仟肆佰肆拾捌圆整"}))
    assert rules(c) == [("amount_words.mismatch", "total_in_words")]


def test_a_qr_code_with_a_wrong_crc_is_an_error():
    c = read_one(build_digital_ofd(qr=DIGITAL_QR[:-4] + "0000"))
    assert ("qr.crc", "qr") in rules(c)


def test_a_qr_image_beyond_the_pixel_limit_is_not_decoded():
    c = read_one(build_digital_ofd(qr_image=qr_png(DIGITAL_QR, scale=10)), max_pixels=10_000)
    assert c.qr == {} and ("qr.image_too_large", "qr") in rules(c)
    assert c.fields["number"] == "24112000000048542163"


def test_a_damaged_qr_image_is_skipped():
    c = read_one(build_digital_ofd(qr_image=b"\x89PNG\r\n\x1a\n" + b"\0" * 50))
    assert c.qr == {} and c.fields["type"] == "31"  # from the title


def test_only_custom_datas():
    data = zip_entries(
        {
            "OFD.xml": '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocInfo><ofd:CustomDatas>'
            '<ofd:CustomData Name="发票代码">050001700111</ofd:CustomData>'
            '<ofd:CustomData Name="发票号码">99999951</ofd:CustomData>'
            '<ofd:CustomData Name="开票日期">2020年10月10日</ofd:CustomData>'
            '<ofd:CustomData Name="校验码">14754 82292 98567 72523</ofd:CustomData>'
            '<ofd:CustomData Name="价税合计">318.00</ofd:CustomData>'
            "</ofd:CustomDatas></ofd:DocInfo></ofd:DocBody></ofd:OFD>"
        }
    )
    c = read_one(data)
    assert c.fields == {
        "code": "050001700111",
        "number": "99999951",
        "issue_date": "2020-10-10",
        "check_code": "14754822929856772523",
        "total": "318.00",
        "type": "10",  # inferred from the code
    }


# --- 2020 style: original_invoice.xml, the producer's malformed CustomTag, a JBIG2 QR ---------------


def test_a_2020_ofd_is_read_from_its_attached_xml():
    c = read_one(build_original_ofd())
    f = c.fields
    assert (f["type"], f["code"], f["number"], f["issue_date"]) == (
        "10",
        "033002000211",
        "83089647",
        "2020-07-23",
    )
    assert (f["check_code"], f["machine_no"]) == ("16197833567414507415", "927000236092")
    assert (f["amount"], f["tax"], f["total"]) == ("510.68", "15.32", "526.00")
    assert f["seller"] == {
        "name": "兰溪市示例餐厅",
        "tax_id": "92330781MA2EDMFU50",
        "address": "兰溪市丹溪大道1055号",
        "phone": "057988222001",
        "bank": "中国邮政储蓄银行兰溪分行",
        "account": "6217993300118475000",
    }
    assert f["items"] == [
        {
            "name": "*餐饮服务*餐费",
            "unit_price": "510.679612",
            "quantity": "1",
            "amount": "510.68",
            "tax_rate": "0.03",
            "tax": "15.32",
        }
    ]
    assert (f["drawer"], f["payee"], f["reviewer"]) == ("管理员", "收款员", "复核员")
    assert f["total_in_words"] == "伍佰贰拾陆圆整" and c.sources["number"] == "xml"
    # The JBIG2 QR cannot be decoded: the GraphCode of the attached XML stands in for it.
    assert c.qr["check_code"] == "16197833567414507415" and c.qr["amount"] == "510.68"
    assert c.findings == []


def test_the_malformed_custom_tag_is_read_and_compared():
    c = read_one(build_original_ofd(printed_total="625.00"))
    assert c.fields["total"] == "526.00"
    finding = next(f for f in c.findings if f.rule == "consistency.ofd_data")
    assert finding.field == "total" and "625.00" in finding.message


def test_a_red_letter_remark():
    c = read_one(build_original_ofd(note="被红冲蓝字数电发票号码：24112000000135114086"))
    assert c.fields["red_letter_of"] == {"code": "", "number": "24112000000135114086"}


# --- the test environment ----------------------------------------------------------------------


def test_a_test_environment_signature_is_flagged():
    c = read_one(build_digital_ofd(signed_value=b"0\x82\x01\x00" + TEST_CA + b"0\x1e"))
    assert rules(c) == [("document.test_environment", "document")]
    assert c.findings[0].severity == "error" and "税务测试 CA" in c.findings[0].message
    assert c.refused


def test_a_test_environment_seal_name_is_flagged():
    seal = "测试全国统一发票监制章国家税务总局重庆市税务局".encode()
    assert rules(read_one(build_original_ofd(signed_value=b"0E" + seal))) == [
        ("document.test_environment", "document")
    ]


def test_the_attached_xml_signature_is_searched_too():
    c = read_one(build_original_ofd(original_signature=b"0\x81\xd9" + TEST_CA))
    assert rules(c) == [("document.test_environment", "document")]


def test_a_production_signature_is_not_flagged():
    production = b"0\x82" + "税务电子证书管理中心(SM2)".encode() + "国家税务总局电子印章制作系统".encode()
    assert read_one(build_digital_ofd(signed_value=production)).findings == []
    assert read_one(build_original_ofd(original_signature=production)).findings == []


# --- not OFD invoices --------------------------------------------------------------------------


def test_a_zip_without_ofd_xml_is_not_supported():
    with pytest.raises(RefusedDocument) as caught:
        extract(zip_entries({"word/document.xml": "<w:document/>"}))
    assert caught.value.reason == "not_supported"
    assert caught.value.message == "a ZIP file that is not an OFD document (it has no OFD.xml)"


def test_an_ofd_without_invoice_data_is_not_an_invoice():
    with pytest.raises(RefusedDocument) as caught:
        extract(
            zip_entries({"OFD.xml": "<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>"})
        )
    assert caught.value.reason == "not_invoice"


def test_a_damaged_ofd_xml_is_malformed():
    with pytest.raises(RefusedDocument) as caught:
        extract(zip_entries({"OFD.xml": "<OFD><DocBody>"}))
    assert caught.value.reason == "malformed"


def test_a_damaged_optional_part_is_skipped_with_a_warning():
    extraction = ofd.read(build_digital_ofd(extra={"Doc_0/Tags/CustomTag.xml": b"<root><InvoiceNo>"}))
    assert extraction.candidates[0].fields["total"] == "4449.00"  # from the QR code
    assert [f.rule for f in extraction.findings] == ["ofd.part_unreadable"]


# --- XBRL vouchers: the only place of invoice data in some OFDs --------------------------------------


def test_an_ordinary_invoice_voucher_is_read_from_its_xbrl_attachment():
    instance = xbrl_instance(XBRL_ORDINARY, [XBRL_ORDINARY_LINE])
    c = read_one(build_xbrl_ofd(instance, "inv_ord_issuer_20210812_03300200021183089648.xml"))
    f = c.fields
    assert (f["code"], f["number"], f["issue_date"], f["check_code"]) == (
        "033002000211",
        "83089648",
        "2021-08-12",
        "16197833567414507416",
    )
    assert (f["amount"], f["tax"], f["total"], f["total_in_words"]) == (
        "510.68",
        "15.32",
        "526.00",
        "伍佰贰拾陆圆整",
    )
    assert f["buyer"] == {"name": "江苏示例新材料有限公司", "tax_id": "91320115MA202UKD7X"}
    assert f["seller"]["address"] == "兰溪市丹溪大道1055号" and f["seller"]["phone"] == "057988222001"
    assert f["items"] == [
        {
            "name": "*餐饮服务*餐费",
            "quantity": "1",
            "unit_price": "510.679612",
            "amount": "510.68",
            "tax_rate": "0.03",
            "tax": "15.32",
        }
    ]
    assert {c.sources[name] for name in ("number", "total", "buyer.name")} == {"xml"}
    assert f["type"] == "10" and c.has_key and c.findings == []


def test_a_railway_e_ticket_voucher_gives_the_invoice_number_and_date_not_the_tickets():
    c = read_one(
        build_xbrl_ofd(xbrl_instance(XBRL_RAILWAY, prefix="rai"), "rai_issuer_20240702_1.xml", "xml")
    )
    f = c.fields
    assert (f["number"], f["issue_date"]) == ("24119100000012345678", "2024-07-02")
    assert (f["total"], f["amount"], f["tax"]) == ("553.00", "507.34", "45.66")
    assert f["buyer"] == {"name": "北京示例科技有限公司", "tax_id": "91110108690017781B"}
    assert f["type"] == "32" and ("document.railway_e_ticket", "type") in rules(c)
    query = c.query()
    assert (query.number, str(query.issue_date), str(query.total)) == (
        "24119100000012345678",
        "2024-07-02",
        "553.00",
    )
    assert not c.refused


def test_an_xbrl_attachment_with_a_dtd_is_refused():
    instance = b'<!DOCTYPE x [<!ENTITY a "b">]>' + xbrl_instance(XBRL_ORDINARY)[38:]
    with pytest.raises(RefusedDocument) as refused:
        read_one(build_xbrl_ofd(instance, "inv_ord_issuer_1.xml"))
    assert refused.value.reason == "unsafe"


# --- the printed page as the last place ----------------------------------------------------------------


def test_without_tags_or_attachments_the_amounts_are_read_from_the_printed_page():
    c = read_one(build_page_text_ofd())
    f = c.fields
    assert (f["number"], f["issue_date"], f["type"]) == ("24112000000048542163", "2024-05-28", "31")
    assert (f["amount"], f["tax"], f["total"]) == ("4197.17", "251.83", "4449.00")
    assert {c.sources[name] for name in ("amount", "tax", "total")} == {"text"}
    assert f["items"] == [
        {"name": "*信息技术服务*技术服务费", "amount": "4197.17", "tax_rate": "0.06", "tax": "251.83"}
    ]
    assert c.has_key and c.findings == []


def test_a_printed_amount_that_differs_from_the_custom_datas_is_reported_from_the_page_too():
    c = read_one(build_page_text_ofd(custom_datas={"合计金额": "4197.17"}, amount="5197.17"))
    assert c.fields["amount"] == "4197.17" and c.sources["amount"] == "xml"
    assert ("consistency.ofd_data", "amount") in rules(c)


# --- specimens and test parties ---------------------------------------------------------------------


def test_an_ofd_made_out_to_a_test_party_is_an_error():
    c = read_one(build_digital_ofd(printed={"buyer_name": "测试购方企业"}))
    [specimen] = [f for f in c.findings if f.rule == "document.specimen"]
    assert (specimen.field, specimen.severity) == ("document", "error") and c.refused


def test_a_company_whose_name_holds_testing_is_no_test_party():
    c = read_one(build_digital_ofd())  # its buyer is 海南测试云服科技有限公司
    assert not c.refused
