"""The data model, one module per area; importing this package registers every table."""
from app.models.audit import AuditEvent
from app.models.chat import ChatMessage, ChatSlot, Conversation, Preference
from app.models.dataset import FORMATS, Dataset, DatasetRow, DatasetVersion
from app.models.endpoint import ModelEndpoint
from app.models.evaluation import EvalJudgeVerdict, EvalRun, EvalRunDataset, EvalSample
from app.models.perf import PerfLevel, PerfRun
from app.models.setting import AppSetting
from app.models.user import ROLES, ApiToken, User

__all__ = ["FORMATS", "ROLES", "ApiToken", "AppSetting", "AuditEvent", "Dataset", "DatasetRow", "DatasetVersion",
           "ModelEndpoint", "User"]
__all__ += ["ChatMessage", "ChatSlot", "Conversation", "Preference"]
__all__ += ["PerfLevel", "PerfRun"]
__all__ += ["EvalJudgeVerdict", "EvalRun", "EvalRunDataset", "EvalSample"]
