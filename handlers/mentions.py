"""`@某人` in a command: a user of the sender's company by account or name; for an
assignment only members of the target project. Ambiguous names list the candidates
with their departments so that the sender can pick one by account."""
import re

from handlers import texts
from store import chatrefs, users
from store.errors import Invalid

MENTION = re.compile(r"(?:^|(?<=\s))[@＠](\S+)")
MAX_CANDIDATES = 8


def take_mentions(text: str) -> tuple[str, list[str]]:
    """("核对到货 @李四 明天", ["李四"]) → ("核对到货 明天", ["李四"])."""
    names = MENTION.findall(text)
    return " ".join(MENTION.sub(" ", text).split()), names


def resolve_user(ctx, name: str, project=None):
    """The one active user `name` means; Invalid (with the reason or candidates) otherwise."""
    name = name.strip().lstrip("@＠").strip()
    company_id = ctx.user.company_id
    found = users.find_users(company_id, name, project.id if project else None)
    if len(found) == 1:
        return found[0]
    if not found:
        if project is not None and users.find_users(company_id, name):
            raise Invalid(texts.MENTION_NOT_MEMBER.format(name=name, project=project.name))
        raise Invalid(texts.MENTION_NONE.format(name=name))
    departments = chatrefs.department_names(company_id, {u.department_id for u in found})
    lines = [texts.MENTION_AMBIGUOUS.format(name=name)]
    lines += [texts.MENTION_CANDIDATE.format(
        account=u.account, name=u.name,
        department=departments.get(u.department_id, texts.NO_DEPARTMENT))
        for u in found[:MAX_CANDIDATES]]
    if len(found) > MAX_CANDIDATES:
        lines.append(texts.MORE.format(n=len(found) - MAX_CANDIDATES))
    raise Invalid("\n".join(lines))
