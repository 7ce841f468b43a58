"""`@某人` in a command: taken out of the text here; who it means is decided by
store.directory.resolve_user (the same rule for chat, pages and console)."""
import re

from store import directory

MENTION = re.compile(r"(?:^|(?<=\s))[@＠](\S+)")


def take_mentions(text: str) -> tuple[str, list[str]]:
    """("核对到货 @李四 明天", ["李四"]) → ("核对到货 明天", ["李四"])."""
    names = MENTION.findall(text)
    return " ".join(MENTION.sub(" ", text).split()), names


def resolve_user(ctx, name: str, project=None):
    """The one active user `name` means (for an assignment, a member of `project`)."""
    return directory.resolve_user(ctx.user, name, project)
