"""Invoice type codes (票种): the two-digit code of the QR payload and of invoice JSON.

>>> NAMES["32"]
'电子发票（普通发票）'
>>> is_digital("31"), is_digital("10")
(True, False)
>>> key_amount_field("01"), key_amount_field("10"), key_amount_field("32")
('amount', 'check_code', 'total')
"""

SPECIAL_VAT = "01"  # 增值税专用发票
ORDINARY_VAT = "04"  # 增值税普通发票
E_ORDINARY_VAT = "10"  # 增值税电子普通发票
ROLL = "11"  # 增值税普通发票（卷式）
TOLL = "14"  # 收费公路通行费增值税电子普通发票
E_SPECIAL_VAT = "20"  # 增值税电子专用发票
DIGITAL_SPECIAL = "31"  # 电子发票（增值税专用发票）, 数电专票
DIGITAL_ORDINARY = "32"  # 电子发票（普通发票）, 数电普票

NAMES = {
    SPECIAL_VAT: "增值税专用发票",
    ORDINARY_VAT: "增值税普通发票",
    E_ORDINARY_VAT: "增值税电子普通发票",
    ROLL: "增值税普通发票（卷式）",
    TOLL: "收费公路通行费增值税电子普通发票",
    E_SPECIAL_VAT: "增值税电子专用发票",
    DIGITAL_SPECIAL: "电子发票（增值税专用发票）",
    DIGITAL_ORDINARY: "电子发票（普通发票）",
}

# The same names in English, for pages shown in English.
ENGLISH_NAMES = {
    SPECIAL_VAT: "Special VAT invoice",
    ORDINARY_VAT: "Ordinary VAT invoice",
    E_ORDINARY_VAT: "Electronic ordinary VAT invoice",
    ROLL: "Ordinary VAT invoice (roll)",
    TOLL: "Electronic toll-road VAT invoice",
    E_SPECIAL_VAT: "Electronic special VAT invoice",
    DIGITAL_SPECIAL: "Digital invoice (special VAT)",
    DIGITAL_ORDINARY: "Digital invoice (ordinary)",
}

DIGITAL = frozenset({DIGITAL_SPECIAL, DIGITAL_ORDINARY})
SPECIAL = frozenset({SPECIAL_VAT, E_SPECIAL_VAT, DIGITAL_SPECIAL})
# Types whose printed form carries a 20-digit 校验码.
WITH_CHECK_CODE = frozenset({ORDINARY_VAT, E_ORDINARY_VAT, ROLL, TOLL, E_SPECIAL_VAT})


def is_digital(type_code: str) -> bool:
    """数电票 (全电发票): no 发票代码, a 20-digit number, the QR amount is 价税合计."""
    return type_code in DIGITAL


def key_amount_field(type_code: str) -> str:
    """Which of ``amount``, ``check_code`` or ``total`` the national platform asks for this type."""
    if type_code in DIGITAL:
        return "total"
    if type_code in (SPECIAL_VAT, E_SPECIAL_VAT):
        return "amount"
    return "check_code"
