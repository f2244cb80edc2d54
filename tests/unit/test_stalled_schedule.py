"""How often stalled jobs are looked for, and how often workers beat, follow the threshold."""

from __future__ import annotations

from pathlib import Path

from ledgerbridge.config import Settings
from ledgerbridge.jobs.app import worker_options
from ledgerbridge.jobs.stalled import check_cron, check_period_seconds


def test_the_check_runs_every_min_of_the_threshold_and_a_minute() -> None:
    assert (check_period_seconds(60), check_cron(60)) == (60, "* * * * *")
    assert (check_period_seconds(600), check_cron(600)) == (60, "* * * * *")
    assert (check_period_seconds(2.5), check_cron(2.5)) == (3, "* * * * * */3")


def test_a_live_worker_beats_well_inside_the_threshold(tmp_path: Path) -> None:
    default = worker_options(Settings(data_dir=tmp_path))
    assert default == {
        "update_heartbeat_interval": 10.0,  # procrastinate's default
        "stalled_worker_timeout": 60.0,
        "fetch_job_polling_interval": 5.0,  # procrastinate's default
    }
    short = worker_options(Settings(data_dir=tmp_path, job_stall_seconds=4))
    assert short["update_heartbeat_interval"] == 1.0
    assert short["fetch_job_polling_interval"] == 1.0
