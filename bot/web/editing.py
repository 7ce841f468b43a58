"""Row editing shared by the template and scenario editors: the rows of a repeated group of
form fields, and the add / remove / move buttons, applied on the server (htmx swaps the
editor back in; without JavaScript the whole page comes back the same)."""
from flask import request


def rows(prefix: str, names: tuple[str, ...]) -> list[dict]:
    """`prefix_name` fields sent once per row, zipped back into dicts."""
    columns = [request.form.getlist(f"{prefix}_{name}") for name in names]
    return [dict(zip(names, values)) for values in zip(*columns)]


def apply_row_action(action: str, groups: dict[str, list[dict]], blank: dict[str, dict]) -> bool:
    """Apply `add:group`, `remove:group:i`, `up:group:i`, `down:group:i`; True if it was one."""
    parts = action.split(":")
    if len(parts) < 2 or parts[1] not in groups:
        return False
    verb, group = parts[0], groups[parts[1]]
    if verb == "add" and len(group) < 20:
        group.append(dict(blank[parts[1]]))
        return True
    if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) >= len(group):
        return False
    index = int(parts[2])
    if verb == "remove":
        group.pop(index)
    elif verb == "up" and index > 0:
        group[index - 1], group[index] = group[index], group[index - 1]
    elif verb == "down" and index < len(group) - 1:
        group[index + 1], group[index] = group[index], group[index + 1]
    else:
        return False
    return True
