"""`flask rebuild-index`, `flask index-snapshot` and `flask train-reranker`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from tqdm import tqdm

from app.demand import services as demand
from app.extensions import db
from app.matching import index, learning, vectors


def register(app: Flask) -> None:
    @app.cli.command("rebuild-index")
    def rebuild_index() -> None:
        """Re-encode every published offer into a fresh FAISS index (other processes reload)."""
        session = db.session()
        with tqdm(total=0, unit="offer", desc="Indexing") as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            count = index.rebuild(session, progress=progress)
        stored = vectors.backfill(session)  # briefs saved while no worker ran
        interests = demand.backfill(session)  # and interests (demand clusters read both)
        session.commit()
        click.echo(f"Stored {stored} brief vectors and {interests} interest vectors.")
        click.echo(f"Indexed {count} offers.")

    @app.cli.command("index-snapshot")
    def index_snapshot() -> None:
        """Write a new index snapshot if offers changed since the last one."""
        session = db.session()
        wrote = index.persist(session)
        session.commit()
        click.echo("Snapshot written." if wrote else "Index already up to date.")

    @app.cli.command("train-reranker")
    @click.option("--folds", default=5, show_default=True, help="Cross-fitting folds (by brief).")
    @click.option("--out", type=click.Path(file_okay=False), help="Where a proposal is written.")
    def train_reranker(folds: int, out: str | None) -> None:
        """Learn a re-ranker from recommendation outcomes; propose it only if it wins off-policy."""
        report = learning.train_and_evaluate(db.session(), folds=folds)
        click.echo(
            f"Outcome log: {report.impressions} impressions over {report.briefs} briefs, "
            f"{report.engaged} engaged (invited, proposed or hired)."
        )
        if report.model is not None:
            weights = ", ".join(
                f"{name} {coef:+.3f}"
                for name, coef in zip(report.model.features, report.model.coef, strict=True)
            )
            click.echo(f"Logistic re-ranker (standardised coefficients): {weights}")
        ev = report.evaluation
        if ev is not None:
            click.echo(
                f"Off-policy evaluation on {ev.slots} exploration slots (IPS, cross-fitted by "
                f"brief over {folds} folds; reward hired 1, proposed .5, invited .3, viewed .1):"
            )
            click.echo(f"  logged (uniform draw)  {ev.logged:.4f}")
            click.echo(f"  current weights        {ev.current:.4f}  (SNIPS {ev.current_snips:.4f})")
            click.echo(
                f"  re-ranker              {ev.candidate:.4f}  (SNIPS {ev.candidate_snips:.4f})"
            )
            click.echo(f"  gain                   {ev.delta:+.4f} ± {ev.delta_se:.4f} (SE)")
        if ev is not None and ev.wins:
            directory = Path(out) if out else Path(app.instance_path) / "reranker"
            click.echo(f"Proposed (not switched on): {learning.write_proposal(report, directory)}")
        else:
            click.echo(f"Not proposed: {report.reason}.")
