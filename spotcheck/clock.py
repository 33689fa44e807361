"""The app's notion of now: city-hall local time, stored as ISO 8601 text."""
from datetime import datetime
from zoneinfo import ZoneInfo

# Paperwork, deadlines and audit logs are read in Japan, whatever the server's own zone is.
TIMEZONE = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    """The current time in the city's zone."""
    return datetime.now(TIMEZONE)


def now_iso() -> str:
    """The current time as stored in the database."""
    return now().isoformat(timespec="seconds")
