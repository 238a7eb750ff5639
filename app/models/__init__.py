"""The data model, one module per area; importing this package registers every table."""
from app.models.audit import AuditEvent
from app.models.user import ROLES, ApiToken, User

__all__ = ["ROLES", "ApiToken", "AuditEvent", "User"]
