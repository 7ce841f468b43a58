"""How a task's details read in Chinese on the console and the mobile task page: a log entry,
worded by the one label table chat uses too (handlers.texts.LOG_ACTION), so an action reads
the same everywhere; and the ERP document's fields with their Chinese labels."""
from handlers.texts import LOG_ACTION
from store.erp_kinds import CLEARED_AT, KINDS


class _Blank(dict):
    def __missing__(self, key):
        return ""


def log_text(entry: dict, width: int = 60) -> str:
    """What the entry's actor did, e.g. "转办给李三", "回退：数量不对"."""
    what = LOG_ACTION.get(entry["action"], entry["action"])
    detail = _Blank({k: str(v)[:width] for k, v in (entry.get("detail") or {}).items()})
    return what.format_map(detail)


def erp_rows(detail: dict) -> list[tuple[str, str]]:
    kind = KINDS.get(detail.get("erp_kind") or "")
    rows = []
    for name, value in (detail.get("erp_data") or {}).items():
        if name == CLEARED_AT:  # Twork's own mark, not an ERP figure
            rows.append(("ERP状态", "情况已解除"))
            continue
        label = kind.fields[name].label_zh if kind and name in kind.fields else name
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        rows.append((label, str(value)))
    return rows
