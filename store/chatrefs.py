"""Small read helpers the chat handlers need beyond the domain modules: naming things
for a reply (the departments of @mention candidates)."""
from store.models import Department


def department_names(company_id: int, department_ids) -> dict[int, str]:
    """{department_id: name} for these departments of the company."""
    ids = {d for d in department_ids if d is not None}
    if not ids:
        return {}
    return {d.id: d.name for d in Department.scoped(company_id, Department.id, Department.name)
            .where(Department.id.in_(ids))}
