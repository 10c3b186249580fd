"""THE canonical keys and labels of the 年报 tables (docs/report-format.md).

Every other module imports keys and Chinese labels from here; nothing else spells them.
Labels are the official ones (国办公开办函〔2019〕60号 and 〔2021〕30号); `aliases` are the
variants seen in real reports. Matching helpers normalise numbering, spaces and punctuation.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FORMAT_2019 = "2019"
FORMAT_2021 = "2021"
FORMAT_LEGACY = "legacy"
FORMATS = (FORMAT_2019, FORMAT_2021, FORMAT_LEGACY)

TABLES = ("t2", "t3", "t4")
TABLE_TITLES = {
    "t2": "主动公开政府信息情况",
    "t3": "收到和处理政府信息公开申请情况",
    "t4": "政府信息公开行政复议、行政诉讼情况",
}

# Cell semantics (docs/report-format.md).
NUMERIC, ZERO, EMPTY, NA, TEXT = "NUMERIC", "ZERO", "EMPTY", "NA", "TEXT"
# A cell read by OCR below this confidence is kept with its raw text but flagged, never trusted.
OCR_MIN_CONFIDENCE = 0.9
SEMANTICS = (NUMERIC, ZERO, EMPTY, NA, TEXT)
NA_TOKENS = ("/", "／", "-", "－", "—", "——", "–", "无", "不适用", "\\")

EXTRA_PREFIX = "extra:"


@dataclass(frozen=True)
class Key:
    key: str
    label: str
    formats: tuple[str, ...] = (FORMAT_2019, FORMAT_2021)
    aliases: tuple[str, ...] = ()
    group: str | None = None  # parent heading (t3 row groups, t2 clause)

    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


# ---------------------------------------------------------------- table 二
T2_ROWS: tuple[Key, ...] = (
    Key("regulations", "规章", group="第二十条第（一）项"),
    Key("normative_docs", "行政规范性文件", aliases=("规范性文件",), group="第二十条第（一）项"),
    Key("admin_licensing", "行政许可", group="第二十条第（五）项"),
    Key("other_external_services", "其他对外管理服务事项", formats=(FORMAT_2019,),
        group="第二十条第（五）项"),
    Key("admin_penalty", "行政处罚", group="第二十条第（六）项"),
    Key("admin_coercion", "行政强制", group="第二十条第（六）项"),
    Key("admin_fees", "行政事业性收费", group="第二十条第（八）项"),
    Key("central_procurement", "政府集中采购", formats=(FORMAT_2019,), group="第二十条第（九）项"),
)
T2_COLS: tuple[Key, ...] = (
    Key("issued_this_year", "本年制发件数", formats=(FORMAT_2021,), aliases=("本年制发数量",)),
    Key("repealed_this_year", "本年废止件数", formats=(FORMAT_2021,), aliases=("本年废止数量",)),
    Key("in_force", "现行有效件数", formats=(FORMAT_2021,), aliases=("现行有效数量",)),
    Key("decisions", "本年处理决定数量", aliases=("处理决定数量", "本年处理决定件数")),
    Key("fee_amount_wan_yuan", "本年收费金额（单位：万元）", formats=(FORMAT_2021,),
        aliases=("本年收费金额", "本年收费金额（万元）", "收费金额（单位：万元）")),
    Key("newly_made", "本年新制作数量", formats=(FORMAT_2019,)),
    Key("newly_published", "本年新公开数量", formats=(FORMAT_2019,)),
    Key("total_published", "对外公开总数量", formats=(FORMAT_2019,)),
    Key("items_prev_year", "上一年项目数量", formats=(FORMAT_2019,)),
    Key("items_change", "本年增/减", formats=(FORMAT_2019,), aliases=("本年增减", "本年增／减")),
    Key("procurement_projects", "采购项目数量", formats=(FORMAT_2019,)),
    Key("procurement_amount", "采购总金额", formats=(FORMAT_2019,)),
)
# Which columns each row carries, per format (the official layout).
T2_LAYOUT: dict[str, dict[str, tuple[str, ...]]] = {
    FORMAT_2021: {
        "regulations": ("issued_this_year", "repealed_this_year", "in_force"),
        "normative_docs": ("issued_this_year", "repealed_this_year", "in_force"),
        "admin_licensing": ("decisions",),
        "admin_penalty": ("decisions",),
        "admin_coercion": ("decisions",),
        "admin_fees": ("fee_amount_wan_yuan",),
    },
    FORMAT_2019: {
        "regulations": ("newly_made", "newly_published", "total_published"),
        "normative_docs": ("newly_made", "newly_published", "total_published"),
        "admin_licensing": ("items_prev_year", "items_change", "decisions"),
        "other_external_services": ("items_prev_year", "items_change", "decisions"),
        "admin_penalty": ("items_prev_year", "items_change", "decisions"),
        "admin_coercion": ("items_prev_year", "items_change", "decisions"),
        "admin_fees": ("items_prev_year", "items_change"),
        "central_procurement": ("procurement_projects", "procurement_amount"),
    },
}
T2_SIGNED_COLS = ("items_change",)
T2_HEADER_LABEL = "信息内容"  # first header cell of every table 二 sub-table
T2_DECIMAL_COLS = ("fee_amount_wan_yuan", "procurement_amount")

# ---------------------------------------------------------------- table 三
T3_COLS: tuple[Key, ...] = (
    Key("natural_person", "自然人"),
    Key("legal_commercial", "商业企业"),
    Key("legal_research", "科研机构"),
    Key("legal_social_welfare", "社会公益组织"),
    Key("legal_law_service", "法律服务机构"),
    Key("legal_other", "其他"),
    Key("total", "总计"),
)
T3_APPLICANT_COLS = tuple(k.key for k in T3_COLS if k.key != "total")
T3_COL_GROUP_LEGAL = "法人或其他组织"
T3_HEADER_LABELS = ("申请人情况", T3_COL_GROUP_LEGAL)
# A 法人 subtotal column some reports add after 其他 (not in the format): skipped, never a cell.
T3_SUBTOTAL_LABELS = ("小计", "法人小计", "法人或其他组织小计", "法人或其他组织合计", "法人合计")

T3_GROUPS = {
    "result": "三、本年度办理结果",
    "denied": "（三）不予公开",
    "unable": "（四）无法提供",
    "not_processed": "（五）不予处理",
    "other": "（六）其他处理",
}

T3_ROWS: tuple[Key, ...] = (
    Key("new_received", "一、本年新收政府信息公开申请数量", aliases=("本年新收政府信息公开申请数量",)),
    Key("carried_over", "二、上年结转政府信息公开申请数量", aliases=("上年结转政府信息公开申请数量",)),
    Key("granted", "（一）予以公开", group="result"),
    Key("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        aliases=("（二）部分公开",), group="result"),
    Key("denied.state_secret", "1.属于国家秘密", group="denied"),
    Key("denied.law_prohibited", "2.其他法律行政法规禁止公开", group="denied"),
    Key("denied.security_stability", "3.危及“三安全一稳定”",
        aliases=("3.危及\"三安全一稳定\"", "3.危及三安全一稳定"), group="denied"),
    Key("denied.third_party", "4.保护第三方合法权益", group="denied"),
    Key("denied.internal_affairs", "5.属于三类内部事务信息", group="denied"),
    Key("denied.process_info", "6.属于四类过程性信息", group="denied"),
    Key("denied.enforcement_file", "7.属于行政执法案卷", group="denied"),
    Key("denied.admin_inquiry", "8.属于行政查询事项", group="denied"),
    Key("unable.not_held", "1.本机关不掌握相关政府信息", group="unable"),
    Key("unable.needs_creation", "2.没有现成信息需要另行制作", group="unable"),
    Key("unable.unclear", "3.补正后申请内容仍不明确", group="unable"),
    Key("not_processed.petition", "1.信访举报投诉类申请", group="not_processed"),
    Key("not_processed.duplicate", "2.重复申请", group="not_processed"),
    Key("not_processed.publication", "3.要求提供公开出版物", group="not_processed"),
    Key("not_processed.excessive", "4.无正当理由大量反复申请", group="not_processed"),
    Key("not_processed.confirm_reissue", "5.要求行政机关确认或重新出具已获取信息", group="not_processed"),
    Key("other.no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        formats=(FORMAT_2021,), group="other"),
    Key("other.fee_unpaid",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        formats=(FORMAT_2021,), group="other"),
    Key("other.other", "3.其他", formats=(FORMAT_2021,), group="other"),
    Key("other.total", "（六）其他处理", group="other"),
    Key("total_processed", "（七）总计", group="result"),
    Key("carried_forward", "四、结转下年度继续办理", aliases=("结转下年度继续办理",)),
)
T3_ROWS_2021 = tuple(k.key for k in T3_ROWS if k.key != "other.total")
T3_ROWS_2019 = tuple(k.key for k in T3_ROWS if FORMAT_2019 in k.formats)
T3_BALANCE_NOTE = "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和"

# ---------------------------------------------------------------- table 四
T4_ROWS: tuple[Key, ...] = (
    Key("admin_review", "行政复议"),
    Key("litigation_direct", "未经复议直接起诉",
        aliases=("行政诉讼未经复议直接起诉", "行政诉讼（未经复议直接起诉）")),
    Key("litigation_after_review", "复议后起诉",
        aliases=("行政诉讼复议后起诉", "行政诉讼（复议后起诉）")),
)
T4_ROW_GROUP_LITIGATION = "行政诉讼"
T4_COLS: tuple[Key, ...] = (
    Key("upheld", "结果维持"),
    Key("corrected", "结果纠正"),
    Key("other", "其他结果"),
    Key("pending", "尚未审结"),
    Key("total", "总计"),
)
T4_ORDER = tuple((r.key, c.key) for r in T4_ROWS for c in T4_COLS)  # the printed 15-number row

# ---------------------------------------------------------------- sections
SECTIONS: tuple[Key, ...] = (
    Key("s1", "一、总体情况"),
    Key("s2", "二、主动公开政府信息情况"),
    Key("s3", "三、收到和处理政府信息公开申请情况"),
    Key("s4", "四、政府信息公开行政复议、行政诉讼情况",
        aliases=("四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
                 "四、政府信息公开行政复议、诉讼情况")),
    Key("s5", "五、存在的主要问题及改进情况",
        aliases=("五、政府信息公开工作存在的主要问题及改进情况", "五、存在的主要问题和改进情况",
                 "五、存在的主要问题及改进措施")),
    Key("s6", "六、其他需要报告的事项"),
)
SECTION_KEYS = frozenset(k.key for k in SECTIONS)
# A page set out in this many of the six headings is a report, however short its text or
# whatever its tables are made of (pictures between the headings): never a 图解 or a pointer.
SECTIONS_OF_A_REPORT = 4


def report_sections(keys) -> int:
    """How many of the six sections the given section keys name."""
    return len(set(keys) & SECTION_KEYS)

# ---------------------------------------------------------------- registries
ROWS = {"t2": T2_ROWS, "t3": T3_ROWS, "t4": T4_ROWS}
COLS = {"t2": T2_COLS, "t3": T3_COLS, "t4": T4_COLS}


def row_label(table: str, key: str) -> str:
    if key.startswith(EXTRA_PREFIX):
        return key[len(EXTRA_PREFIX):]
    return next(k.label for k in ROWS[table] if k.key == key)


def col_label(table: str, key: str) -> str:
    return next(k.label for k in COLS[table] if k.key == key)


def expected_cells(table: str, fmt: str) -> list[tuple[str, str]]:
    """(row_key, col_key) pairs the official layout of `fmt` prints for `table`."""
    if fmt not in (FORMAT_2019, FORMAT_2021):
        return []
    if table == "t2":
        return [(r, c) for r, cols in T2_LAYOUT[fmt].items() for c in cols]
    if table == "t3":
        rows = T3_ROWS_2021 if fmt == FORMAT_2021 else T3_ROWS_2019
        return [(r, c.key) for r in rows for c in T3_COLS]
    return list(T4_ORDER)


# ---------------------------------------------------------------- label normalisation
_NUMBERING = re.compile(
    r"^\s*(?:[（(]?[一二三四五六七八九十]+[)）、.．]|[（(]\d+[)）]|\d+\s*[.．、)）])\s*")
_DROP = re.compile(r"[\s\u3000\xa0:：,，、;；“”\"'‘’。·•]")


def normalise_text(s: str) -> str:
    """NFKC (full-width digits/letters → ASCII), unify spaces; keeps Chinese punctuation forms
    that NFKC would turn to ASCII brackets consistent."""
    return unicodedata.normalize("NFKC", s or "").replace("\u3000", " ").strip()


def label_key(label: str, keep_numbering: bool = False) -> str:
    """A comparison key for a printed label: no spaces, no quotes/punctuation, numbering removed."""
    s = normalise_text(label)
    if not keep_numbering:
        prev = None
        while prev != s:
            prev, s = s, _NUMBERING.sub("", s)
    s = s.replace("(", "（").replace(")", "）")
    return _DROP.sub("", s)



def keys_by_label(keys) -> dict[str, str]:
    """label_key of every label and alias of `keys` → its canonical key (the first key wins a
    label that two share)."""
    out: dict[str, str] = {}
    for k in keys:
        for lab in k.labels():
            out.setdefault(label_key(lab), k.key)
    return out
