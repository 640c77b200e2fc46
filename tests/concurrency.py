"""Running domain functions at the same moment, for the race tests (PostgreSQL)."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once(
    actions: dict[str, Callable[[], object]], *, refused: type[Exception], start_together=True
) -> dict[str, str]:
    """Run each action in its own thread, hence its own database connection, and return
    name → "done", or the message of the `refused` exception it raised (any other
    exception, or a thread still running after 30 s, is named in the outcome so that the
    test's failure says what happened). With
    `start_together` a barrier releases them together; a test that places its own
    barrier inside the code under test passes False."""
    barrier = threading.Barrier(len(actions)) if start_together else None
    outcomes = {}

    def run(name, action):
        try:
            if barrier is not None:
                barrier.wait(timeout=10)
            action()
            outcomes[name] = "done"
        except refused as refusal:
            outcomes[name] = getattr(refusal, "message", None) or str(refusal)
        except Exception as error:  # shown in the test's failure, not lost in a thread
            outcomes[name] = f"unexpected {type(error).__name__}: {error}"
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread, name in zip(threads, actions, strict=True):
        thread.join(timeout=30)
        if thread.is_alive():
            outcomes.setdefault(name, "still running after 30 s")
    return outcomes
