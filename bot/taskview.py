"""How a task's details read in Chinese on the console and the mobile task page: a log entry,
worded by the one label table chat uses too (handlers.texts.LOG_ACTION), so an action reads
the same everywhere; and the ERP document's fields with their Chinese labels."""
from handlers.texts import LOG_ACTION
from store.erp_kinds import CLEARED_AT, document_rows


class _Blank(dict):
    def __missing__(self, key):
        return ""


def log_text(entry: dict, width: int = 60) -> str:
    """What the entry's actor did, e.g. "转办给李三", "回退：数量不对"."""
    what = LOG_ACTION.get(entry["action"], entry["action"])
    detail = _Blank({k: str(v)[:width] for k, v in (entry.get("detail") or {}).items()})
    return what.format_map(detail)


def erp_rows(detail: dict) -> list[tuple[str, str]]:
    rows = document_rows(detail.get("erp_kind"), detail.get("erp_data"))
    if (detail.get("erp_data") or {}).get(CLEARED_AT):  # Twork's own mark, not an ERP figure
        rows.append(("ERP状态", "情况已解除"))
    return rows
