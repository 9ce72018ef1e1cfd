"""The one hand-over to the GUI thread: calls from any thread run on the GUI thread, in order."""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.gui


def test_calls_from_worker_threads_run_on_the_gui_thread_in_their_order(qtbot) -> None:  # type: ignore[no-untyped-def]
    from controlroom.qt.gui_thread import GuiHandover

    handover = GuiHandover()
    gui = threading.get_ident()
    ran: list[tuple[int, int, int]] = []  # (sender, n, thread it ran on)

    def record(sender: int, n: int) -> None:
        ran.append((sender, n, threading.get_ident()))

    def send(sender: int) -> None:
        for n in range(50):
            handover.post(record, sender, n)

    threads = [threading.Thread(target=send, args=(s,), name=f"sender-{s}") for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qtbot.waitUntil(lambda: len(ran) == 200, timeout=10_000)
    assert {on for _, _, on in ran} == {gui}
    for sender in range(4):
        assert [n for s, n, _ in ran if s == sender] == list(range(50))
    handover.deleteLater()


def test_a_background_job_reports_progress_then_its_result_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    from controlroom.feed.service_thread import running_service_threads
    from controlroom.qt.worker import BackgroundTask

    gui = threading.get_ident()
    seen: list[tuple[str, object, int]] = []

    def job(progress) -> str:  # type: ignore[no-untyped-def]
        progress(0.5, "half way")
        return f"done on {threading.current_thread().name}"

    task = BackgroundTask(job)
    task.sig_progress.connect(lambda f, m: seen.append(("progress", (f, m), threading.get_ident())))
    task.sig_finished.connect(lambda r: seen.append(("finished", r, threading.get_ident())))
    task.start()
    assert task.wait(10_000)
    assert task not in running_service_threads()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10_000)
    assert seen == [
        ("progress", (0.5, "half way"), gui),
        ("finished", "done on controlroom-background", gui),
    ]
    task.deleteLater()
