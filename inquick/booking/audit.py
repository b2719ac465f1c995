"""Writing the audit log of patient data (see `inquick.models.audit`)."""

from inquick.models import AuditEntry
from inquick.models.audit import ACTIONS


def record_access(session, *, tenant, visits, action, fields, key=None, token_id=None):
    """One entry per visit read or changed, in the caller's transaction.

    The actions are a closed list (`ACTIONS`): whoever reads the log (`inquick audit`)
    must know every one, so an action outside it is a bug, refused before it is written.
    """
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not an audit action; add it to ACTIONS first.")
    session.add_all(
        AuditEntry(
            health_system_id=tenant.id,
            key_id=key.id if key is not None else None,
            token_id=token_id,
            visit_id=visit.id,
            action=action,
            fields=sorted(fields),
        )
        for visit in visits
    )
