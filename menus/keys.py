"""Menu click keys: the only place a key string is spelled (handlers and menus import these)."""
from enum import StrEnum


class MenuKey(StrEnum):
    TODO = "TWORK_TODO"
    NEW_TASK = "TWORK_NEW_TASK"
    PROJECTS = "TWORK_PROJECTS"
    MESSAGES = "TWORK_MESSAGES"
    PENDING = "TWORK_PENDING"
    ME = "TWORK_ME"
    STATS = "TWORK_STATS"
    NEWS = "TWORK_NEWS"
    FEEDBACK = "TWORK_FEEDBACK"
