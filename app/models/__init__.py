"""The data model, one module per area; importing this package registers every table."""
from app.models.audit import AuditEvent
from app.models.endpoint import ModelEndpoint
from app.models.setting import AppSetting
from app.models.user import ROLES, ApiToken, User

__all__ = ["ROLES", "ApiToken", "AppSetting", "AuditEvent", "ModelEndpoint", "User"]
