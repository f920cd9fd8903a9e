"""The printed-invoice parser on positioned text boxes: labels, positions and the text-layer traps."""

from __future__ import annotations

import pytest

from yanpiao.intake import printed
from yanpiao.intake.ocr import TextBox
from yanpiao.intake.qr_text import candidate_from_payload

SIZE = 9.0  # character height of the synthetic boxes, in points


def box(text: str, x: float, y: float, size: float = SIZE) -> TextBox:
    """A box whose width follows its text (CJK characters are square, others half as wide), y down."""
    width = sum(size if ord(char) > 0x2E80 else 0.55 * size for char in text)
    return TextBox(text, x, y, x + max(width, 1.0), y + size)


def column(text: str, x: float, y: float, pitch: float = 10.0) -> list[TextBox]:
    """A label printed one character per line, as PDF text layers give it (购/买/方)."""
    return [box(char, x, y + i * pitch) for i, char in enumerate(text)]


def digital_boxes(**overrides) -> list[TextBox]:
    """A 数电 普票 page as a PDF text layer lists it, in drawing order (labels first)."""
    v = {
        "title": "电子发票（普通发票）",
        "number": "26427000000375586818",
        "date": "2026年04月30日",
        "buyer": "张三",
        "seller": "北京京华数据科技有限公司",
        "seller_tax_id": "91110108MA01ABCD2H",
        "amount": "10.09",
        "tax": "0.61",
        "total": "10.70",
        "words": "壹拾圆柒角整",
        **overrides,
    }
    labels = [
        box(v["title"], 160, 25, 16),
        box("发票号码：", 430, 30),
        box("开票日期：", 430, 48),
        *column("购买方信息", 17, 93),
        *column("销售方信息", 302, 93),
        box("名称：", 33, 96),
        box("名称：", 318, 96),
        box("统一社会信用代码/纳税人识别号：", 33, 125),
        box("统一社会信用代码/纳税人识别号：", 318, 125),
        box("项目名称", 45, 151),
        box("规格型号", 119, 151),
        box("单 位", 190, 151),
        box("数 量", 264, 151),
        box("单 价", 335, 151),
        box("金 额", 407, 151),
        box("税率/征收率", 446, 151),
        box("税 额", 551, 151),
        box("合", 58, 262),
        box("计", 104, 262),
        box("价税合计（大写）", 48, 280),
        box("（小写）", 412, 280),
        *column("备注", 17, 310, 17),
        box("开票人：", 55, 368),
    ]
    values = [
        box(v["number"], 482, 30),
        box(v["date"], 482, 48),
        box(v["buyer"], 57, 96),
        box(v["seller"], 340, 96),
        box(v["seller_tax_id"], 439, 125),
        box("*餐饮服务*餐费", 13, 162),
        box("次", 200, 162),
        box("1", 284, 162),
        box("10.09", 335, 162),
        box("10.09", 400, 162),
        box("6%", 466, 162),
        box("0.61", 555, 162),
        box("¥", 393, 262),
        box(v["amount"], 400, 262),
        box("¥", 545, 262),
        box(v["tax"], 552, 262),
        box(v["words"], 178, 280),
        box("¥", 441, 280),
        box(v["total"], 448, 280),
        box("订单号：12345", 31, 312),
        box("王芳", 92, 368),
    ]
    return labels + values


def test_digital_invoice_fields_by_label_and_position():
    c = printed.parse(digital_boxes(), "text", 595, 397)
    assert c.fields == {
        "type": "32",
        "number": "26427000000375586818",
        "issue_date": "2026-04-30",
        "buyer": {"name": "张三"},
        "seller": {"name": "北京京华数据科技有限公司", "tax_id": "91110108MA01ABCD2H"},
        "items": [
            {
                "name": "*餐饮服务*餐费",
                "unit": "次",
                "quantity": "1",
                "unit_price": "10.09",
                "amount": "10.09",
                "tax_rate": "0.06",
                "tax": "0.61",
            }
        ],
        "amount": "10.09",
        "tax": "0.61",
        "total": "10.70",
        "total_in_words": "壹拾圆柒角整",
        "remarks": "订单号:12345",
        "drawer": "王芳",
    }
    assert set(c.sources.values()) == {"text"}
    assert c.findings == []


def test_text_order_does_not_matter():
    boxes = digital_boxes()
    shuffled = boxes[::2] + boxes[1::2][::-1]
    assert printed.parse(shuffled, "text", 595, 397).fields == printed.parse(boxes, "text", 595, 397).fields


def test_nul_bytes_full_width_digits_and_yen_sign():
    c = printed.parse(
        digital_boxes(
            number="２６４２７００００００３７５５８６８１８",
            words="\x00\x00壹拾圆柒角整",
            total="￥１０.７０",
            amount="１０.０９",
        ),
        "text",
        595,
        397,
    )
    assert c.fields["number"] == "26427000000375586818"
    assert (c.fields["amount"], c.fields["total"], c.fields["total_in_words"]) == (
        "10.09",
        "10.70",
        "壹拾圆柒角整",
    )
    assert c.findings == []


def test_words_that_do_not_state_the_total_are_an_error():
    c = printed.parse(digital_boxes(words="壹拾贰圆柒角整"), "text", 595, 397)
    assert [(f.rule, f.field, f.severity) for f in c.findings] == [
        ("amount_words.mismatch", "total_in_words", "error")
    ]


def test_broken_arithmetic_comes_from_the_shared_rules():
    c = printed.parse(digital_boxes(total="10.80", words="壹拾圆捌角整"), "text", 595, 397)
    assert [f.rule for f in c.findings] == ["arithmetic.total"]


def test_title_gives_the_type():
    for title, expected in [
        ("电子发票（增值税专用发票）", "31"),
        ("电子发票（普通发票）", "32"),
        ("北京增值税电子普通发票", "10"),
        ("广东增值税电子专用发票", "20"),
        ("北京增值税专用发票", "01"),
        ("北京增值税普通发票", "04"),
        ("北京增值税普通发票（卷式）", "11"),
    ]:
        assert printed.parse([box(title, 100, 20, 16)], "text").fields.get("type") == expected, title


def classic_boxes(buyer_first: bool = True) -> list[TextBox]:
    """An older e-普票 (buyer block above the seller block), labels split into characters."""
    top, bottom = (92, 302) if buyer_first else (302, 92)
    boxes = [
        box("天津增值税电子普通发票", 196, 22, 20),
        box("发票代码:", 432, 23),
        box("012001800211", 475, 24),
        box("发票号码:", 432, 37),
        box("23326471", 475, 38),
        box("开票日期:", 432, 51),
        box("2018", 475, 52),
        box("年", 493, 52),
        box("09", 502, 52),
        box("月", 511, 52),
        box("21", 520, 52),
        box("日", 530, 52),
        box("机器编号:", 24, 69),
        box("499099801283", 69, 70),
        box("校 ", 432, 66),
        box("验 ", 446, 66),
        box("码:", 458, 66),
        box("16707 18454 90097 07698", 475, 67),
        *column("购买方", 29, top, 16),
        *column("密码区", 350, 93, 16),
        *column("销售方", 28, bottom, 16),
        *column("备注", 350, 304, 27),
    ]
    for y, name, tax_id, address, bank in (
        (86, "聚光科技（杭州）股份有限公司", "91330000734500338C", "杭州市滨江区滨安路 760 号 0571-85012188", "中行滨江支行 385758326851"),
        (296, "滴滴出行科技有限公司", "911201163409833307", "天津经济技术开发区办公楼C座103室 022-59002850", "招商银行天津分行 122905939910401"),
    ):  # fmt: skip
        boxes += [
            box("名\u3000\u3000\u3000\u3000称:", 48, y),
            box(name, 110, y),
            box("纳税人识别号:", 48, y + 14),
            box(tax_id, 110, y + 14),
            box("地 址、", 48, y + 29),
            box("电 话:", 79, y + 29),
            box(address, 110, y + 29),
            box("开户行及账号:", 48, y + 44),
            box(bank, 110, y + 44),
        ]
    boxes += [box("03392/<9405<-48<-9/7-376018>", 369, 88), box("*+<*85>6/901++2319681*-//323", 369, 130)]
    boxes += [
        box("货物或应税劳务、服务名称", 41, 148),
        box("规格型号", 189, 148),
        box("单位", 251, 148),
        box("数\u3000量", 292, 148),
        box("单\u3000价", 350, 148),
        box("金\u3000额", 415, 148),
        box("税率", 482, 148),
        box("税\u3000额", 531, 148),
        box("*", 25, 162),
        box("运输服务", 28, 161),
        box("*", 64, 162),
        box("客运服务费", 68, 161),
        box("次", 255, 161),
        box("1", 326, 162),
        box("734.59", 360, 162),
        box("734.59", 443, 162),
        box("3%", 491, 162),
        box("22.04", 566, 162),
        box("合 ", 73, 259),
        box("计", 109, 259),
        box("￥", 435, 260),
        box("734.59", 444, 260),
        box("￥", 559, 260),
        box("22.04", 567, 260),
        box("价税合计（大写）", 61, 277),
        box("ⓧ柒佰伍拾陆元陆角叁分", 184, 277),
        box("（小写）", 469, 277),
        box("￥", 501, 278),
        box("756.63", 509, 278),
        box("收 款 人: ", 31, 354),
        box("李文莉", 80, 354),
        box("复 核: ", 197, 354),
        box("王磊", 232, 354),
        box("开 票 人: ", 318, 354),
        box("牛蕊", 367, 354),
        box("销 售 方:（章）", 442, 354),
    ]
    return boxes


def test_classic_invoice_with_one_character_labels():
    c = printed.parse(classic_boxes(), "text", 610, 394)
    f = c.fields
    assert (f["type"], f["code"], f["number"], f["issue_date"]) == (
        "10",
        "012001800211",
        "23326471",
        "2018-09-21",
    )
    assert (f["check_code"], f["machine_no"]) == ("16707184549009707698", "499099801283")
    assert f["buyer"] == {
        "name": "聚光科技(杭州)股份有限公司",
        "tax_id": "91330000734500338C",
        "address": "杭州市滨江区滨安路760号",
        "phone": "0571-85012188",
        "bank": "中行滨江支行",
        "account": "385758326851",
    }
    assert f["seller"]["name"] == "滴滴出行科技有限公司"
    assert (f["seller"]["phone"], f["seller"]["account"]) == ("022-59002850", "122905939910401")
    assert f["items"] == [
        {
            "name": "*运输服务*客运服务费",
            "unit": "次",
            "quantity": "1",
            "unit_price": "734.59",
            "amount": "734.59",
            "tax_rate": "0.03",
            "tax": "22.04",
        }
    ]
    assert (f["amount"], f["tax"], f["total"]) == ("734.59", "22.04", "756.63")
    assert (f["payee"], f["reviewer"], f["drawer"]) == ("李文莉", "王磊", "牛蕊")
    assert "remarks" not in f
    assert c.findings == []


def test_the_labels_decide_buyer_and_seller_not_the_position():
    c = printed.parse(classic_boxes(buyer_first=False), "text", 610, 394)
    assert c.fields["seller"]["name"] == "聚光科技(杭州)股份有限公司"
    assert c.fields["buyer"]["name"] == "滴滴出行科技有限公司"


def test_without_party_labels_the_position_decides():
    def without_anchor(boxes):
        return [b for b in boxes if b.text not in "购买方信息销售方" or not b.text]

    digital = printed.parse(without_anchor(digital_boxes()), "text", 595, 397).fields
    assert (digital["buyer"]["name"], digital["seller"]["name"]) == ("张三", "北京京华数据科技有限公司")
    classic = printed.parse(without_anchor(classic_boxes()), "text", 610, 394).fields
    assert classic["buyer"]["name"] == "聚光科技(杭州)股份有限公司"
    assert classic["seller"]["name"] == "滴滴出行科技有限公司"


@pytest.mark.parametrize(
    ("rate", "tax", "expected_rate", "expected_tax"),
    [
        ("13%", "1.30", "0.13", "1.30"),
        ("免税", "***", "exempt", "0.00"),
        ("不征税", "***", "not_taxable", "0.00"),
    ],
)
def test_item_rates(rate, tax, expected_rate, expected_tax):
    boxes = [
        box("项目名称", 45, 151),
        box("金 额", 407, 151),
        box("税率/征收率", 446, 151),
        box("税 额", 551, 151),
        box("*农产品*蔬菜", 13, 162),
        box("10.00", 400, 162),
        box(rate, 466, 162),
        box(tax, 555, 162),
        box("合 计", 58, 262),
        box("¥10.00", 393, 262),
    ]
    items = printed.parse(boxes, "text", 595, 397).fields["items"]
    assert items == [
        {"name": "*农产品*蔬菜", "amount": "10.00", "tax_rate": expected_rate, "tax": expected_tax}
    ]


def test_wrapped_item_names_continue_the_line_above():
    boxes = digital_boxes()
    boxes.append(box("（含服务费）", 13, 172))
    assert printed.parse(boxes, "text", 595, 397).fields["items"][0]["name"] == "*餐饮服务*餐费(含服务费)"


def test_a_summary_line_pointing_to_a_list_is_not_an_item_list():
    boxes = [b for b in digital_boxes() if b.text != "*餐饮服务*餐费"] + [box("(详见销货清单)", 13, 162)]
    assert "items" not in printed.parse(boxes, "text", 595, 397).fields


def test_ocr_boxes_with_label_and_value_together():
    boxes = [
        TextBox("发票代码：012001800311", 627, 52, 749, 68),
        TextBox("天津增值税电子普通发票", 296, 69, 589, 97),
        TextBox("发票号码：33207675", 627, 76, 727, 91),
        TextBox("开票日期：20190508", 623, 97, 774, 116),
        TextBox("校验码：76939056883466677916", 625, 121, 809, 137),
        TextBox("购买方", 82, 157, 103, 221),
        TextBox("名", 109, 150, 126, 168),
        TextBox("称：个人", 170, 149, 218, 168),
        TextBox("密", 515, 156, 529, 172),
        TextBox("价税合计(大写)", 128, 402, 214, 420),
        TextBox("伍拾贰圆柒角", 284, 402, 375, 420),
        TextBox("(小写）￥52.70", 645, 400, 735, 420),
    ]
    c = printed.parse(boxes, "ocr", 980, 575)
    assert c.fields == {
        "type": "10",
        "code": "012001800311",
        "number": "33207675",
        "issue_date": "2019-05-08",
        "check_code": "76939056883466677916",
        "buyer": {"name": "个人"},
        "total": "52.70",
        "total_in_words": "伍拾贰圆柒角",
    }
    assert set(c.sources.values()) == {"ocr"}


def test_paper_special_invoice_prints_code_and_number_without_labels():
    boxes = [
        TextBox("1100094140", 166, 40, 288, 62),
        TextBox("No87654321", 612, 38, 756, 63),
        TextBox("机器编号000000000001", 77, 90, 245, 111),
        TextBox("开票日期：2010年11月18日", 635, 84, 815, 106),
    ]
    f = printed.parse(boxes, "ocr", 911, 534).fields
    assert (f["code"], f["number"], f["issue_date"], f["machine_no"]) == (
        "1100094140",
        "87654321",
        "2010-11-18",
        "000000000001",
    )


def test_specimen_and_test_markers_are_flagged():
    boxes = [*digital_boxes(buyer="测试购方企业"), box("样票", 10, 10)]
    findings = printed.parse(boxes, "ocr", 595, 397).findings
    assert [(f.rule, f.field, f.severity) for f in findings] == [("document.specimen", "document", "error")]
    assert "样票" in findings[0].message and "测试购方企业" in findings[0].message


def test_nothing_is_guessed_from_an_unrelated_page():
    c = printed.parse([box("会议纪要", 100, 20, 16), box("2025年3月7日", 100, 60)], "text", 595, 842)
    assert c.fields == {}
    assert not printed.looks_like_invoice(c)


def test_the_title_of_a_page():
    page = printed.Page([box("货物运输电子货票收款凭证", 200, 40, 14), box("托运人名称", 50, 80)], 595, 842)
    assert printed.title(page) == "货物运输电子货票收款凭证"
    assert printed.not_invoice_title(printed.title(page))


PAYLOAD = "01,32,,26427000000375586818,10.70,20260430,,FAFB"


def test_merge_takes_content_from_text_and_key_from_qr():
    text = printed.parse(digital_boxes(), "text", 595, 397)
    merged = printed.merge(text, candidate_from_payload(PAYLOAD))
    assert merged.qr == {
        "type": "32",
        "number": "26427000000375586818",
        "issue_date": "2026-04-30",
        "total": "10.70",
    }
    assert merged.fields == text.fields
    assert merged.findings == []


def test_merge_fills_what_the_text_lacks_from_the_qr():
    boxes = [b for b in digital_boxes() if b.text not in ("开票日期：", "2026年04月30日")]
    merged = printed.merge(printed.parse(boxes, "text", 595, 397), candidate_from_payload(PAYLOAD))
    assert (merged.fields["issue_date"], merged.sources["issue_date"]) == ("2026-04-30", "qr")
    assert merged.sources["number"] == "text"


def test_merge_warns_on_each_key_field_printed_differently():
    text = printed.parse(
        digital_boxes(number="26427000000375586819", total="10.80", words="壹拾圆捌角整", tax="0.71"),
        "text",
        595,
        397,
    )
    merged = printed.merge(text, candidate_from_payload(PAYLOAD))
    qr_text = [(f.field, f.severity) for f in merged.findings if f.rule == "consistency.qr_text"]
    assert qr_text == [("number", "warning"), ("total", "warning")]
    assert merged.fields["total"] == "10.80"  # the printed content, compared as tampered
    assert merged.query().total == "10.70"  # the key, from the QR code


def test_merge_keeps_the_qr_crc_finding():
    tampered = "01,32,,26427000000375586818,10.71,20260430,,FAFB"
    merged = printed.merge(printed.parse(digital_boxes(), "text", 595, 397), candidate_from_payload(tampered))
    assert "qr.crc" in [f.rule for f in merged.findings]


def test_a_toll_invoice_qr_with_type_10_is_not_a_disagreement():
    boxes = [*classic_boxes(), box("通行费", 113, 28)]
    text = printed.parse(boxes, "text", 610, 394)
    assert text.fields["type"] == "14"
    payload = "01,10,012001800211,23326471,734.59,20180921,16707184549009707698,B7D0,"
    merged = printed.merge(text, candidate_from_payload(payload))
    assert (merged.fields["type"], merged.sources["type"]) == ("10", "qr")
    assert merged.findings == []


def test_pair_matches_qr_codes_by_number():
    first = printed.parse(digital_boxes(), "text", 595, 397)
    second_payload = "01,31,,26442000004359167806,1705400.00,20260421,,8EEF"
    merged = printed.pair([first], [candidate_from_payload(second_payload), candidate_from_payload(PAYLOAD)])
    assert [c.get("number") for c in merged] == ["26427000000375586818", "26442000004359167806"]
    assert merged[0].qr["total"] == "10.70"


def test_the_title_is_found_anywhere_in_the_header_band():
    page = printed.Page(
        [box("税务代开", 20, 10, 30), box("电子发票（普通发票）", 200, 70, 16), box("发票号码：", 430, 30)],
        595,
        397,
    )
    assert printed.title(page) == "电子发票(普通发票)"  # not the larger 税务代开 mark
    assert printed.invoice_type(page) == "32"


def test_a_title_in_the_header_band_decides_the_type_before_one_quoted_below():
    page = printed.Page(
        [box("电子发票（普通发票）", 160, 25, 16), box("原增值税专用发票已作废", 40, 330)], 595, 397
    )
    assert printed.invoice_type(page) == "32"


def test_a_colon_read_twice_by_ocr_still_leads_to_the_value():
    boxes = [
        box("发票号码:", 430, 30),
        box(":00000001", 475, 30),
        box("开票日期:", 430, 48),
        box(":2025年03月07日", 475, 48),
    ]
    fields = printed.parse(boxes, "ocr", 595, 397).fields
    assert (fields["number"], fields["issue_date"]) == ("00000001", "2025-03-07")
