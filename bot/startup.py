"""What every production process (web, worker, scheduler) checks before it starts: a Redis
to share (REDIS_URL) and a database it can reach. Failing either, it refuses to start with
one message listing the problems, the way a missing setting does. Only the demo runs on
the in-process stand-ins."""
from bot.settings import SettingsError

NO_REDIS = ("REDIS_URL is required: the web, worker and scheduler processes share one Redis "
            "(only `python -m bot demo` runs without it)")


def require_services(settings, database) -> None:
    """Raise SettingsError unless REDIS_URL is set and `database` answers a query. Redis
    itself may be down at start: the processes wait it out (bot.redis_conn)."""
    problems = [] if settings.REDIS_URL else [NO_REDIS]
    try:
        was_closed = database.is_closed()
        database.connect(reuse_if_open=True)
        database.execute_sql("SELECT 1")
        if was_closed:
            database.close()
    except Exception as error:  # every driver has its own errors; the message is what counts
        problems.append(f"DATABASE_URL: cannot reach the database ({type(error).__name__}: {error})".strip())
    if problems:
        raise SettingsError(problems)
