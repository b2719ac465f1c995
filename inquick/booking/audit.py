"""Writing the audit log of patient data (see `inquick.models.audit`)."""

from inquick.models import AuditEntry
from inquick.models.audit import ACTIONS


def record_access(session, *, tenant, visits, action, fields, key=None, token_id=None):
    """One entry per visit read or changed, in the caller's transaction."""
    session.add_all(audit_entries(tenant, visits, action, fields, key, token_id))


def record_read(session, *, tenant, visits, fields, key=None):
    """One entry per visit read, in a transaction of its own, committed when this returns.

    The read's transaction ends first. On SQLite a transaction that has read and then
    writes is refused at once, not queued, when another process committed in between (its
    snapshot is stale, so waiting could not help): two audited reads served by two workers
    refused each other. A transaction that begins by writing waits its turn. The entries
    are made before that commit, which expires the rows they name.
    """
    entries = audit_entries(tenant, visits, "read", fields, key)
    session.commit()
    session.add_all(entries)
    session.commit()


def audit_entries(tenant, visits, action, fields, key=None, token_id=None):
    """The entries, one per visit.

    The actions are a closed list (`ACTIONS`): whoever reads the log (`inquick audit`)
    must know every one, so an action outside it is a bug, refused before it is written.
    """
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not an audit action; add it to ACTIONS first.")
    return [
        AuditEntry(
            health_system_id=tenant.id,
            key_id=key.id if key is not None else None,
            token_id=token_id,
            visit_id=visit.id,
            action=action,
            fields=sorted(fields),
        )
        for visit in visits
    ]
