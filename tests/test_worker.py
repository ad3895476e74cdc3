import pytest

from tests.factories import make_creator, make_offer


@pytest.mark.slow
def test_worker_round_runs_jobs_and_writes_an_index_snapshot(app, session, tmp_path):
    saved = {key: app.config[key] for key in ("MATCHING_ENABLED", "INDEX_DIR")}
    app.config.update(MATCHING_ENABLED=True, INDEX_DIR=str(tmp_path / "index"))
    app.extensions.pop("live_index", None)
    try:
        make_offer(session, make_creator(session), status="published")
        session.commit()
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "jobs: 0 done" in result.output
        assert "index snapshot written" in result.output
        assert (tmp_path / "index" / "CURRENT").exists()
        again = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert "index snapshot written" not in again.output
    finally:
        app.extensions.pop("live_index", None)
        app.config.update(saved)
