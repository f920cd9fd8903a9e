"""The demo catalogue: what the demo registry is made of, as data.

Shares of invoice types and statuses, the first day each type was issued, products with their
税收分类编码 and rates, industries, personal and company names, cities with their districts and
streets, banks and their account formats.  :mod:`yanpiao.demo.generator` draws from these; the
numbers here are the only knobs of the registry's shape.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from yanpiao.fapiao import types

# --- the shape of the registry ---------------------------------------------------------------

# Share of each type, in per cent.
TYPE_WEIGHTS = {"32": 35, "31": 20, "10": 15, "01": 10, "04": 8, "20": 5, "14": 4, "11": 3}
PAPER = frozenset({types.SPECIAL_VAT, types.ORDINARY_VAT, types.ROLL})  # only these can be voided
WINDOW_DAYS = 3 * 365
DIGITAL_ERA = datetime.date(2025, 1, 1)  # pre-数电 invoices are mostly issued before this day
PRE_DIGITAL_BEFORE_ERA = 0.9
# The first day a type was issued (数电 as the requirement says; the pilot started in 2021-12).
FIRST_DAY = {
    "31": datetime.date(2023, 1, 1),
    "32": datetime.date(2023, 1, 1),
    "20": datetime.date(2021, 1, 21),
    "14": datetime.date(2018, 1, 1),
}

# Probabilities per generated (blue) invoice.  Voiding (作废) exists only for paper invoices; its
# share there is chosen so that about 2% of all invoices end up voided.
VOID_PAPER = 0.095
ABNORMAL = 0.005
RED_FLUSH = 0.02
PARTIAL_RED_FLUSH = 0.005

LINE_COUNT_WEIGHTS = (70, 20, 10)  # of 1, 2 and 3 lines
PERSON_BUYER = {"04": 0.35, "10": 0.35, "11": 0.5, "14": 0.5, "32": 0.35}
SHORT_BUYER = 0.6  # share of company buyers of 普票 printed with name and tax ID only
SMALL_SCALE_SHARE = 0.25  # of sellers: 小规模纳税人
SMALL_SCALE_EXEMPT_SHARE = 0.3  # of their 普票: issued 免税
REMARK_SHARE = 0.08

BEIJING = "11"  # region digits of a 数电 number
DIGITAL_CHANNEL = "2"
CODE_KIND = {"10": ("11",), "11": ("06", "07"), "14": ("12",), "20": ("13",)}
CODES_PER_YEAR = 3  # 发票代码 per type and year
SEQUENCE_START = (10**8, 9 * 10**8)  # 15-digit 数电 sequences start here (they look real)


# --- products --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """One kind of line: printed name ``*简称*品名``, 税收分类编码, unit, general rate, ranges."""

    name: str
    tax_category_code: str
    unit: str
    rate: int  # per cent, for a general taxpayer (一般纳税人) from 2019-04 on
    price: tuple[int, int]  # unit price range in cents (the line total incl. tax if gross_step)
    quantity: tuple[int, int] = (1, 1)
    specs: tuple[str, ...] = ("",)
    exempt_share: float = 0.0  # e.g. 技术开发 registered as exempt
    # Sold at a price incl. tax (含税价) that is a multiple of this many cents, e.g. a meal at
    # ¥300.00 is printed as 283.02 + 16.98; 0 for prices excl. tax.
    gross_step: int = 0


# Codes and 简称 as seen on real invoices and issuing-system examples; see the report of the
# change for which ones were found in public data.
PRODUCTS = {
    "software_dev": Product(
        "*信息技术服务*软件开发服务", "3040201010000000000", "项", 6, (800_000, 30_000_000)
    ),
    "software_consult": Product(
        "*信息技术服务*软件咨询服务", "3040201020000000000", "次", 6, (50_000, 2_000_000)
    ),
    "software_maint": Product(
        "*信息技术服务*软件维护服务", "3040201030000000000", "年", 6, (200_000, 5_000_000), (1, 3)
    ),
    "software_test": Product(
        "*信息技术服务*软件测试服务", "3040201040000000000", "项", 6, (100_000, 3_000_000)
    ),
    "rnd": Product(
        "*研发和技术服务*研发服务", "3040101000000000000", "项", 6, (1_000_000, 50_000_000), exempt_share=0.3
    ),
    "meal": Product("*餐饮服务*餐费", "3070401000000000000", "次", 6, (2_000, 300_000), gross_step=100),
    "lodging": Product("*住宿服务*住宿费", "3070402000000000000", "次", 6, (25_000, 600_000), gross_step=100),
    "taxi": Product("*运输服务*客运服务费", "3010101020203000000", "次", 3, (1_200, 40_000), gross_step=10),
    "freight": Product(
        "*运输服务*国内道路货物运输服务", "3010102020100000000", "吨", 9, (5_000, 60_000), (1, 60)
    ),
    "forwarding": Product(
        "*经纪代理服务*国内货物运输代理服务", "3040802010100000000", "票", 6, (20_000, 500_000), (1, 10)
    ),
    "property": Product(
        "*物业管理服务*物业管理费", "3040801010000000000", "平方米", 6, (300, 1_500), (50, 3_000)
    ),
    "electricity": Product("*供电*电费", "1100101020100000000", "千瓦时", 13, (60, 130), (100, 30_000)),
    "water": Product("*水冰雪*自来水", "1100301010000000000", "吨", 9, (500, 950), (10, 3_000)),
    "training": Product(
        "*非学历教育服务*培训费", "3070201020000000000", "人次", 6, (50_000, 800_000), (1, 30)
    ),
    "keyboard": Product(
        "*计算机配套产品*无线键鼠套装", "1090511020000000000", "套", 13, (8_000, 60_000), (1, 50),
        ("MK270", "MK345", "KM5200"),
    ),
    "scanner": Product(
        "*计算机配套产品*条码扫描器", "1090511020000000000", "台", 13, (20_000, 150_000), (1, 20),
        ("LS2208", "1950GSR"),
    ),
    "monitor": Product(
        "*计算机外部设备*显示器", "1090511010000000000", "台", 13, (60_000, 350_000), (1, 20),
        ("24英寸", "27英寸", "34英寸"),
    ),
    "printer": Product(
        "*计算机外部设备*激光打印机", "1090511030000000000", "台", 13, (90_000, 600_000), (1, 10),
        ("M232dwc", "LJ2655DN"),
    ),
    "paper": Product(
        "*纸制品*复印纸", "1060105990000000000", "箱", 13, (9_000, 22_000), (1, 100),
        ("A4 70g", "A4 80g", "A3 70g"),
    ),
    "toll": Product("*经营租赁*通行费", "3040502020301000000", "次", 3, (500, 30_000), gross_step=10),
}  # fmt: skip


@dataclass(frozen=True)
class Industry:
    words: tuple[str, ...]  # the industry part of a company name
    products: tuple[str, ...]
    weight: int


INDUSTRIES = (
    Industry(("信息技术", "网络科技", "数据科技", "软件技术", "智能科技"),
             ("software_dev", "software_consult", "software_maint", "software_test"), 20),
    Industry(("技术开发", "生物科技", "新材料科技"), ("rnd", "software_consult"), 6),
    Industry(("餐饮管理", "餐饮"), ("meal",), 14),
    Industry(("酒店管理", "宾馆"), ("lodging", "meal"), 8),
    Industry(("商贸", "科贸", "电子科技", "办公设备"), ("keyboard", "scanner", "monitor", "printer", "paper"), 20),
    Industry(("出行科技", "汽车服务", "出租汽车"), ("taxi",), 8),
    Industry(("物流", "供应链管理", "运输"), ("freight", "forwarding"), 8),
    Industry(("物业管理", "物业服务"), ("property", "electricity", "water"), 8),
    Industry(("教育科技", "职业技能培训"), ("training",), 8),
)  # fmt: skip
TOLL_INDUSTRY = Industry(("高速公路", "路桥建设"), ("toll",), 0)


# --- names and places --------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
)
GIVEN_NAMES = (
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "鑫", "婷", "斌",
    "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "峰", "琳", "晨", "欣", "悦", "子涵", "梓萱",
    "一诺", "浩然", "宇轩", "雨桐", "思远", "佳怡", "志强", "国庆", "海燕", "晓东", "春梅", "丹", "萍",
)  # fmt: skip
# 字号: the distinctive part of a company name (invented, not the names of known companies).
TRADE_NAMES = (
    "京华", "华信", "中科", "东方", "恒信", "瑞达", "金诚", "博远", "鼎盛", "宏图", "天成", "新元",
    "嘉禾", "锦程", "融通", "泰和", "安顺", "永信", "盛世", "万通", "信达", "腾飞", "华宇", "联创",
    "智航", "云帆", "星辰", "明德", "正阳", "北辰", "凯旋", "远航", "海纳", "卓越", "思源", "启明",
    "致远", "睿智", "方圆", "同创", "佳禾", "润泽", "德信", "合众", "广源", "金桥", "华晟", "中鼎",
    "易通", "百川", "千禾", "旭日", "蓝海", "青松", "恒通", "汇智", "宏达", "天宇", "新锐", "京科",
    "燕山", "益民", "康达", "顺达", "宏远", "精诚", "聚源", "宝丰", "众合", "昌盛", "东升", "金源",
)  # fmt: skip
COMPANY_SUFFIXES = (("有限公司", 70), ("有限责任公司", 15), ("股份有限公司", 15))


@dataclass(frozen=True)
class City:
    name: str  # as it starts a company name
    address_prefix: str
    area_code: str
    districts: tuple[tuple[str, str, tuple[str, ...]], ...]  # (district, GB/T 2260 code, streets)
    weight: int


BEIJING_CITY = City("北京", "北京市", "010", (
    ("东城区", "110101", ("东长安街", "建国门内大街", "东直门南大街", "和平里东街")),
    ("西城区", "110102", ("金融大街", "复兴门内大街", "德胜门外大街", "西直门南大街")),
    ("朝阳区", "110105", ("建国路", "朝阳北路", "光华路", "东三环中路", "望京街")),
    ("丰台区", "110106", ("丰台北路", "南三环西路", "丰管路")),
    ("石景山区", "110107", ("石景山路", "鲁谷路", "实兴大街")),
    ("海淀区", "110108", ("中关村大街", "学院路", "知春路", "海淀大街", "上地十街")),
    ("门头沟区", "110109", ("新桥大街", "永安路")),
    ("房山区", "110111", ("拱辰大街", "长政南街")),
    ("通州区", "110112", ("新华大街", "运河西大街", "九棵树东路")),
    ("顺义区", "110113", ("府前中街", "顺平路", "天竺路")),
    ("昌平区", "110114", ("回龙观西大街", "府学路", "超前路")),
    ("大兴区", "110115", ("兴华大街", "荣华中路", "黄村西大街")),
), 60)  # fmt: skip
CITIES = (
    BEIJING_CITY,
    City("上海", "上海市", "021", (
        ("黄浦区", "310101", ("南京东路", "淮海中路")), ("徐汇区", "310104", ("漕溪北路", "肇嘉浜路")),
        ("静安区", "310106", ("南京西路", "江宁路")), ("浦东新区", "310115", ("世纪大道", "张江路")),
    ), 10),
    City("天津", "天津市", "022", (
        ("和平区", "120101", ("南京路",)), ("南开区", "120104", ("卫津路",)), ("滨海新区", "120116", ("黄海路",)),
    ), 5),
    City("广州", "广东省广州市", "020", (
        ("越秀区", "440104", ("中山五路",)), ("天河区", "440106", ("天河路", "体育西路")),
        ("白云区", "440111", ("白云大道北",)),
    ), 5),
    City("深圳", "广东省深圳市", "0755", (
        ("福田区", "440304", ("深南大道", "福华路")), ("南山区", "440305", ("科技园路", "南海大道")),
        ("宝安区", "440306", ("宝安大道",)),
    ), 5),
    City("杭州", "浙江省杭州市", "0571", (
        ("西湖区", "330106", ("文三路", "天目山路")), ("滨江区", "330108", ("江南大道", "网商路")),
    ), 5),
    City("南京", "江苏省南京市", "025", (
        ("玄武区", "320102", ("中山路",)), ("鼓楼区", "320106", ("汉中路",)), ("江宁区", "320115", ("双龙大道",)),
    ), 4),
    City("成都", "四川省成都市", "028", (
        ("锦江区", "510104", ("人民南路",)), ("武侯区", "510107", ("天府大道北段",)),
    ), 3),
    City("武汉", "湖北省武汉市", "027", (
        ("江岸区", "420102", ("解放大道",)), ("洪山区", "420111", ("珞喻路",)),
    ), 3),
)  # fmt: skip
# Bank, the first digits of its accounts, their length, and its weight.
BANKS = (
    ("中国工商银行", "0200", 19, 25),
    ("中国建设银行", "1105", 20, 20),
    ("中国银行", "3", 12, 15),
    ("中国农业银行", "1120", 19, 12),
    ("招商银行", "1109", 15, 10),
    ("交通银行", "1100", 21, 8),
)
CITY_BANKS = {"北京": (("北京银行", "2000", 20, 10),), "上海": (("上海银行", "3161", 20, 6),)}
MACHINE_PREFIXES = ("4990", "6616", "6612", "4991")
