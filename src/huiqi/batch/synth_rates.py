"""The synthetic population's calibration (``huiqi.batch.synth``): how often each event happens, where firms
are, what they do and what their figures look like. Counts the corpus gives are marked and quoted; the rest are
plausible guesses, marked as such."""

from __future__ import annotations

import numpy as np

# Events per 1,000,000 firms over 2020-01-01 … 2027-12-31: (count, population, tier). population: all | mfg
# (制造业) | above (规上) | sme | software; tier: how much likelier a 规上 firm is — flat ×1, broad ×5,
# elite ×200. CALIBRATED counts are scaled exactly (round(count × n / 1e6)), the rest drawn (Poisson).
# Types not listed get DEFAULT_RATE. mujun_result is not drawn: it reports a share of the firms' 亩均 grades.
RATES: dict[str, tuple[float, str, str]] = {
    # calibrated on 甬科函〔2025〕51号 (nb-kj-2025-51), 市科技局's reply of 2025-06-13:
    "manufacturing_champion": (104, "mfg", "elite"),  # “全市拥有国家级制造业单项冠军104家”
    "ai_scenario": (12 + 8, "all", "elite"),  # “已布局市级创新联合体12家，省级创新联合体8家”
    "kechuang_2035": (301 * 8, "all", "elite"),  # “2024年，‘科创甬江2035’计划立项301项”: 301 a year
    "national_key_project": (240, "all", "elite"),  # “累计立项国家重点研发计划项目24项”: that level is 10%
    # plausible guesses (no figure in the corpus):
    "little_giant": (300, "mfg", "elite"),
    "hidden_champion": (150, "mfg", "elite"),
    "global_500": (2, "above", "elite"),
    "china_mfg_500": (25, "above", "elite"),
    "national_first_class": (5, "above", "elite"),
    "industrial_sales_milestone": (30, "above", "elite"),
    "dayouqiang_target": (80, "above", "elite"),
    "dayouqiang_enterprise": (300, "above", "elite"),
    "first_above_scale_entry": (6000, "above", "flat"),
    "capital_market": (300, "all", "elite"),
    "domestic_exhibition": (60000, "all", "broad"),
    "guarantee_service": (40000, "sme", "broad"),
    "equipment_loan": (30000, "mfg", "broad"),
    "tech_upgrade_investment": (40000, "mfg", "broad"),
    "equipment_investment": (30000, "mfg", "broad"),
    "industrial_investment_project": (8000, "mfg", "broad"),
    "design_service_purchase": (10000, "mfg", "broad"),
    "beidou_purchase": (3000, "all", "broad"),
    "green_certificate_purchase": (3000, "mfg", "broad"),
    "sci_finance_whitelist": (15000, "all", "broad"),
    "hitech_cultivation": (15000, "all", "broad"),
    "rd_post_subsidy_list": (30000, "all", "broad"),
    "catalogue_project": (20000, "all", "broad"),
    "revenue_step_up": (10000, "all", "broad"),
    "sme_digital_pilot": (8000, "sme", "broad"),
    "local_digital_workshop": (3000, "mfg", "broad"),
    "digital_sample": (3000, "sme", "broad"),
    "priority_land_project": (3000, "mfg", "broad"),
    "plot_ratio_increase": (2000, "mfg", "broad"),
    "energy_saving_project": (3000, "mfg", "broad"),
    "carbon_footprint": (2000, "mfg", "broad"),
    "air_compressor_station": (2000, "mfg", "broad"),
    "pinzibiao": (3000, "mfg", "broad"),
    "measurement_certification": (3000, "all", "broad"),
    "standard_work": (2000, "all", "broad"),
    "brand_recognition": (1500, "all", "broad"),
    "first_set": (1500, "mfg", "elite"),
    "first_set_insurance": (800, "mfg", "elite"),
    "three_firsts_sales": (800, "mfg", "elite"),
    "first_version": (500, "software", "broad"),
    "software_rd": (3000, "software", "broad"),
    "smart_factory": (1500, "mfg", "elite"),
    "industrial_internet_demo": (800, "mfg", "elite"),
    "digital_workshop_project": (800, "mfg", "elite"),
    "yongjiang_talent": (1500, "all", "broad"),
    "top_talent_project": (100, "all", "elite"),
    "superior_talent_project": (400, "all", "elite"),
    "fenghua_talent_title": (500, "all", "broad"),
    "gangcheng_craftsman": (500, "all", "broad"),
}
CALIBRATED = {"manufacturing_champion", "ai_scenario", "kechuang_2035", "national_key_project"}
DEFAULT_RATE = (300.0, "all", "elite")
TIERS = {"flat": 1.0, "broad": 5.0, "elite": 200.0}
# Level shares where the default (each level twice as common as the one listed before it) will not do.
LEVEL_SHARES: dict[str, tuple[float, ...]] = {"national_key_project": (0.10, 0.03, 0.02, 0.85)}
# Firm titles: held once, no subject.
ONCE = {
    "manufacturing_champion",
    "little_giant",
    "hidden_champion",
    "global_500",
    "china_mfg_500",
    "national_first_class",
    "dayouqiang_target",
    "dayouqiang_enterprise",
    "first_above_scale_entry",
    "industrial_sales_milestone",
    "gazelle_star",
    "key_enterprise_list",
    "tech_innovation_demo_enterprise",
}
# (event, companion, share): that share of the event's firms also get the companion, earlier (从高不重复 groups).
PAIRS = (
    ("manufacturing_champion", "little_giant", 0.5),
    ("little_giant", "hidden_champion", 0.1),
    ("global_500", "china_mfg_500", 0.6),
    ("china_mfg_500", "national_first_class", 0.1),
    ("yongjiang_talent", "superior_talent_project", 0.3),
    ("top_talent_project", "superior_talent_project", 0.3),
)
LEVEL_COMPANIONS = 0.12  # share of a multi-level type's events repeated for the same subject at another level
MUJUN_EVENT = 0.35  # chance a graded firm-year also appears as a mujun_result event
START, END = np.datetime64("2020-01-01", "D").astype(int), np.datetime64("2027-12-31", "D").astype(int)
UNIQUE_TEXT = {"firm_id", "name", "credit_code"}  # text columns written without Parquet dictionaries
# rows per Parquet row group: readers decode row groups in parallel (DuckDB's own default is 122,880), where
# pyarrow's default of 1,048,576 leaves a million-row file to one thread
ROW_GROUP_ROWS = 131_072

# Share of firms (%) and the 行政区划代码 in the credit code; roughly by economic size.
REGIONS = {
    "鄞州区": (16, "330212"),
    "慈溪市": (15, "330282"),
    "余姚市": (11, "330281"),
    "北仑区": (10, "330206"),
    "海曙区": (10, "330203"),
    "江北区": (6, "330205"),
    "镇海区": (6, "330211"),
    "奉化区": (6, "330213"),
    "宁海县": (6, "330226"),
    "象山县": (5, "330225"),
    "宁波国家高新区": (4, "330201"),
    "前湾新区": (2.5, "330282"),
    "东钱湖旅游度假区": (0.5, "330212"),
    "大榭开发区": (0.5, "330206"),
    "宁波保税区": (1, "330206"),
    "宁波以外": (0.5, "330100"),
}
# (industry, word in the firm's name, manufacturing, weight within manufacturing / within the rest)
INDUSTRIES = (
    ("通用设备制造业", "机械", True, 14),
    ("电气机械和器材制造业", "电器", True, 13),
    ("汽车制造业", "汽车部件", True, 9),
    ("专用设备制造业", "装备", True, 8),
    ("金属制品业", "五金", True, 10),
    ("橡胶和塑料制品业", "塑业", True, 9),
    ("纺织服装、服饰业", "服饰", True, 7),
    ("纺织业", "纺织", True, 4),
    ("化学原料和化学制品制造业", "化工", True, 4),
    ("计算机、通信和其他电子设备制造业", "电子", True, 6),
    ("文教、工美、体育和娱乐用品制造业", "文体用品", True, 5),
    ("仪器仪表制造业", "仪表", True, 3),
    ("家具制造业", "家居", True, 3),
    ("医药制造业", "医药", True, 1),
    ("批发和零售业", "贸易", False, 35),
    ("租赁和商务服务业", "商务服务", False, 14),
    ("建筑业", "建设", False, 8),
    ("科学研究和技术服务业", "科技", False, 9),
    ("交通运输、仓储和邮政业", "物流", False, 7),
    ("信息传输、软件和信息技术服务业", "信息技术", False, 6),
    ("房地产业", "置业", False, 4),
    ("住宿和餐饮业", "餐饮", False, 6),
    ("居民服务、修理和其他服务业", "服务", False, 6),
    ("农、林、牧、渔业", "农业", False, 3),
)
NAME_CHARS = "甬海明天华东恒盛鑫达诚信瑞丰宏泰嘉兴隆昌通远科创博联力新思源汇利安正德和美金银洲"
# Small pools, so that one firm's events often share a subject (从高不重复 per subject).
SUBJECTS = {
    "product": (
        "五轴数控机床",
        "高精度轴承",
        "伺服电机",
        "注塑成型机",
        "新能源汽车电驱系统",
        "工业机器人",
        "光伏逆变器",
        "稀土永磁材料",
        "高性能膜材料",
        "智能家电控制器",
        "工业设计软件",
        "芯片封装设备",
    ),
    "platform": ("智能制造创新中心", "新材料中试平台", "工业互联网平台", "研发中心", "设计中心", "检测中心"),
    "talent": ("张伟团队", "李娜团队", "王磊团队", "陈静团队", "刘洋团队", "赵敏团队"),
    "park": ("甬创小微企业园", "慈东小微企业园", "望春工业园", "科创大厦", "智造小镇"),
    "project": (
        "年产10万台智能装备项目",
        "数字化改造项目",
        "绿色低碳改造项目",
        "新厂房建设项目",
        "设备更新项目",
        "研发平台建设项目",
    ),
}
CATEGORY_WORDS = (
    ("talent", ("talent", "craftsman")),
    ("park", ("park", "demo_base", "building")),
    ("product", ("first_", "three_firsts", "chokepoint", "product", "version")),
    ("platform", ("center", "platform", "lab", "incubator", "institute", "factory", "workshop")),
)
# Money event fields: (median 元, sigma of the log); (event, field) pairs override.
MONEY = {
    "investment": (5e6, 1.1),
    "contract_amount": (2e6, 1.0),
    "sales": (3e6, 1.2),
    "amount": (3e5, 1.0),
    "principal": (1e7, 1.0),
    "state_funds": (2e7, 0.8),
    "premium": (2e5, 0.8),
    "annual_revenue": (3e7, 1.0),
    "service_revenue": (5e6, 1.0),
    "industrial_sales": (8e9, 0.6),
    "rd_investment": (3e6, 1.0),
}
MONEY_BY_EVENT = {
    ("software_rd", "sales"): (4e7, 1.0),
    ("design_firm_revenue", "annual_revenue"): (7e6, 0.6),
    ("smart_mfg_service_revenue", "annual_revenue"): (6e7, 0.6),
}
# Event quantities: (median, sigma of the log, unit price low, high) — 北斗 modules, 绿证 certificates.
QUANTITY = {
    "beidou_purchase": (3000.0, 1.0, 60.0, 150.0),
    "green_certificate_purchase": (15000.0, 0.8, 3.0, 10.0),
}
