"""PostgreSQL as the scale-out database: two app servers (two gunicorn masters on two ports)
and two outbox workers share one database while sellers file through both: no case is lost or
stored twice, and every notification reaches the SMTP server exactly once."""

from __future__ import annotations

import re

import pytest

from .checks import assert_clean_run, assert_delivered_once, missing_cases, wait_for_outbox_sent
from .clients import SHORT_LOAD_SECONDS, Load, seller_client
from .processes import Gunicorn, Worker, needs_postgres

pytestmark = [pytest.mark.reliability, needs_postgres]

#: Two sellers per gunicorn worker process: each worker always has the next request waiting.
SELLERS = 8


def test_two_apps_and_two_workers_on_one_database_lose_and_repeat_nothing(desk, smtp, report):
    sellers = desk.accounts("seller", SELLERS, label="seller", tokens=True)
    apps = [Gunicorn(desk, workers=2, name=f"app{n}") for n in (1, 2)]
    workers = [Worker(desk, smtp.port, name=f"worker{n}") for n in (1, 2)]
    for worker in workers:
        worker.wait_started()  # both take rows from the start
    load = Load()
    load.run(
        [
            seller_client(apps[n % 2].base, s.email, s.password, s.token)
            for n, s in enumerate(sellers)
        ],
        SHORT_LOAD_SECONDS,
    )
    for app in apps:
        app.stop()
    wait_for_outbox_sent(desk, timeout=120)
    outputs = [worker.stop() for worker in workers]

    assert_clean_run(
        load,
        {
            **{f"app{n}": app.output() for n, app in enumerate(apps, 1)},
            **{f"worker{n}": output for n, output in enumerate(outputs, 1)},
        },
    )
    wrong = missing_cases(desk.url, desk.attachments, load)
    assert not wrong, "\n".join(wrong[:20]) + f"\n({len(wrong)} in all)"
    mails = assert_delivered_once(desk, smtp)
    sent = [len(re.findall(r"^sent #", output, re.M)) for output in outputs]
    assert all(sent), f"a worker sent nothing: {sent}"
    report(
        f"{len(load.acknowledged())} cases through two apps in {load.seconds:.0f} s; "
        f"{mails} mails, each delivered once, sent {sent[0]} + {sent[1]} by the two workers"
    )
