"""kernel: one audit table, one job queue, one payout table

* audit_events gains from_state/to_state; the rows of milestone_events, media_events and
  dispute_events move into it (subjects "milestone", "media", "dispute") and those tables go.
* jobs (subject type + id) replaces payment_jobs and media_payout_jobs; their pending and
  failed rows move over.
* payouts replaces payout_transfers and the transfer columns of media_licenses and
  contest_awards: one row per released sale (milestone, licence royalty, contest award),
  keeping each sale's Stripe idempotency key and transfer id.
* contracts whose milestones are all settled become completed (or cancelled).

Revision ID: 0008_kernel
Revises: 0007_merge_domains
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0008_kernel"
down_revision = "0007_merge_domains"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
When = app.db.UTCDateTime(timezone=True)


def _times(*names: str) -> dict[str, Any]:
    """Result types for raw SELECTs (by column name), so SQLite's stored strings come back as
    aware datetimes, as the ORM reads them."""
    return dict.fromkeys(names, When)


def _table(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(name, sa.MetaData(), *columns)


AUDIT = _table(
    "audit_events",
    sa.Column("id", BigId, primary_key=True),
    sa.Column("actor_id", BigId),
    sa.Column("action", sa.String(64)),
    sa.Column("subject_type", sa.String(32)),
    sa.Column("subject_id", BigId),
    sa.Column("from_state", sa.String(24)),
    sa.Column("to_state", sa.String(24)),
    sa.Column("data", Json),
    sa.Column("created_at", When),
)
JOBS = _table(
    "jobs",
    sa.Column("id", BigId, primary_key=True),
    sa.Column("kind", sa.String(48)),
    sa.Column("subject_type", sa.String(32)),
    sa.Column("subject_id", BigId),
    sa.Column("key", sa.String(160)),
    sa.Column("due_at", When),
    sa.Column("status", sa.String(16)),
    sa.Column("attempts", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("locked_until", When),
    sa.Column("created_at", When),
    sa.Column("finished_at", When),
)
PAYOUTS = _table(
    "payouts",
    sa.Column("id", BigId, primary_key=True),
    sa.Column("subject_type", sa.String(32)),
    sa.Column("subject_id", BigId),
    sa.Column("creator_id", BigId),
    sa.Column("title", sa.String(200)),
    sa.Column("gross_minor", sa.Integer),
    sa.Column("fee_minor", sa.Integer),
    sa.Column("fee_bp", sa.Integer),
    sa.Column("hold_hours", sa.Integer),
    sa.Column("currency", sa.String(3)),
    sa.Column("charge_id", sa.String(64)),
    sa.Column("transfer_group", sa.String(64)),
    sa.Column("transfer_key", sa.String(120)),
    sa.Column("state", sa.String(16)),
    sa.Column("clears_at", When),
    sa.Column("stripe_transfer_id", sa.String(64)),
    sa.Column("destination", sa.String(64)),
    sa.Column("reversed_minor", sa.Integer),
    sa.Column("blocked_reason", sa.String(200)),
    sa.Column("created_at", When),
    sa.Column("paid_at", When),
)


def _events_table(name: str, owner: str) -> sa.Table:
    return _table(
        name,
        sa.Column("id", BigId, primary_key=True),
        sa.Column(owner, BigId),
        sa.Column("actor_id", BigId),
        sa.Column("action", sa.String(32)),
        sa.Column("from_state", sa.String(24)),
        sa.Column("to_state", sa.String(24)),
        sa.Column("data", Json),
        sa.Column("created_at", When),
        *([sa.Column("note", sa.Text)] if name == "dispute_events" else []),
    )


def upgrade() -> None:
    _create_kernel_tables()
    bind = op.get_bind()
    _name_old_transitions(bind)
    _move_events(bind)
    payout_ids = _backfill_payouts(bind)
    _move_jobs(bind, payout_ids)
    _complete_contracts(bind)
    _drop_old_tables()


def _create_kernel_tables() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_state", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("to_state", sa.String(length=24), nullable=True))
    op.create_table(
        "jobs",
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("locked_until", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("id", BigId, nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_jobs_attempts_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_jobs_subject", ["subject_type", "subject_id"], unique=False)
    op.create_table(
        "payouts",
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("creator_id", BigId, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("gross_minor", sa.Integer(), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("fee_bp", sa.Integer(), nullable=False),
        sa.Column("hold_hours", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("charge_id", sa.String(length=64), nullable=True),
        sa.Column("transfer_group", sa.String(length=64), nullable=False),
        sa.Column("transfer_key", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("clears_at", When, nullable=False),
        sa.Column("stripe_transfer_id", sa.String(length=64), nullable=True),
        sa.Column("destination", sa.String(length=64), nullable=True),
        sa.Column("reversed_minor", sa.Integer(), nullable=False),
        sa.Column("blocked_reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("paid_at", When, nullable=True),
        sa.Column("id", BigId, nullable=False),
        sa.CheckConstraint(
            "fee_minor >= 0 AND fee_minor < gross_minor", name=op.f("ck_payouts_fee_range")
        ),
        sa.CheckConstraint("gross_minor > 0", name=op.f("ck_payouts_gross_positive")),
        sa.CheckConstraint("reversed_minor >= 0", name=op.f("ck_payouts_reversed_nonneg")),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_payouts_creator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("stripe_transfer_id", name=op.f("uq_payouts_stripe_transfer_id")),
        sa.UniqueConstraint("subject_type", "subject_id", name="uq_payouts_subject"),
        sa.UniqueConstraint("transfer_key", name=op.f("uq_payouts_transfer_key")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index("ix_payouts_creator_state", ["creator_id", "state"], unique=False)


# Audit actions of the state machines before they had one shape -> (verb by target state).
_OLD_ACTIONS = {
    "brief.status_changed": {
        "open": "publish",
        "in_progress": "start",
        "closed": "close",
        "cancelled": "cancel",
    },
    "proposal.status_changed": {
        "shortlisted": "shortlist",
        "declined": "decline",
        "accepted": "accept",
        "withdrawn": "withdraw",
    },
    "offer.published": {"published": "publish"},
    "offer.paused": {"paused": "pause"},
    "offer.removed": {"removed": "remove"},
}


def _name_old_transitions(bind: sa.Connection) -> None:
    """Old state-change audit rows get the machines' names and their states as columns."""
    rows = bind.execute(
        sa.select(AUDIT.c.id, AUDIT.c.action, AUDIT.c.subject_type, AUDIT.c.data).where(
            AUDIT.c.action.in_(list(_OLD_ACTIONS))
            | AUDIT.c.action.like("contest.%")
            | AUDIT.c.action.like("campaign.%")
            | AUDIT.c.action.like("negotiation%")
        )
    ).mappings()
    for row in rows:
        data = dict(row["data"] or {})
        before = data.pop("from_status", None) or data.pop("before", None)
        before = before or data.pop("from_state", None)
        after = data.pop("to_status", None) or data.pop("after", None) or data.pop("to_state", None)
        if after is None:
            continue
        action = row["action"]
        verbs = _OLD_ACTIONS.get(action)
        if verbs is not None:
            action = f"{row['subject_type']}.{verbs.get(after, action.partition('.')[2])}"
        bind.execute(
            AUDIT.update()
            .where(AUDIT.c.id == row["id"])
            .values(action=action, from_state=before, to_state=after, data=data)
        )


def _move_events(bind: sa.Connection) -> None:
    """Transition histories into the audit table (dispute rows were mirrored there already:
    those copies are replaced by the full ones, whose notes were not truncated)."""
    bind.execute(AUDIT.delete().where(AUDIT.c.subject_type == "dispute"))
    for name, owner, subject in (
        ("milestone_events", "milestone_id", "milestone"),
        ("media_events", "asset_id", "media"),
        ("dispute_events", "dispute_id", "dispute"),
    ):
        old = _events_table(name, owner)
        rows = []
        for row in bind.execute(sa.select(old).order_by(old.c.id)).mappings():
            data = dict(row["data"] or {})
            if row.get("note"):
                data["note"] = row["note"]
            rows.append(
                {
                    "actor_id": row["actor_id"],
                    "action": f"{subject}.{row['action']}",
                    "subject_type": subject,
                    "subject_id": row[owner],
                    "from_state": row["from_state"],
                    "to_state": row["to_state"],
                    "data": data,
                    "created_at": row["created_at"],
                }
            )
        if rows:
            bind.execute(AUDIT.insert(), rows)


def _backfill_payouts(bind: sa.Connection) -> dict[tuple[str, int], int]:
    """One payouts row per released sale; returns (subject_type, subject_id) -> payout id."""
    rows: list[dict[str, Any]] = []
    milestones = bind.execute(
        sa.text(
            "SELECT m.id, m.title, m.released_minor, m.fee_minor, m.fee_bp, m.hold_hours,"
            " m.currency, m.charge_id, m.contract_id, m.state, m.clears_at, m.released_at,"
            " m.refunded_minor, m.paid_out_at, c.creator_id, t.stripe_transfer_id,"
            " t.destination, t.reversed_minor"
            " FROM milestones m JOIN contracts c ON c.id = m.contract_id"
            " LEFT JOIN payout_transfers t ON t.milestone_id = m.id"
            " WHERE m.released_minor > 0"
        ).columns(**_times("clears_at", "released_at", "paid_out_at"))
    ).mappings()
    for m in milestones:
        if m["stripe_transfer_id"]:
            state = "reversed" if m["reversed_minor"] else "paid"
        else:
            state = "cancelled" if m["state"] == "refunded" else "scheduled"
        rows.append(
            {
                "subject_type": "milestone",
                "subject_id": m["id"],
                "creator_id": m["creator_id"],
                "title": m["title"],
                "gross_minor": m["released_minor"],
                "fee_minor": m["fee_minor"],
                "fee_bp": m["fee_bp"] or 0,
                "hold_hours": m["hold_hours"] or 0,
                "currency": m["currency"],
                "charge_id": m["charge_id"],
                "transfer_group": f"contract-{m['contract_id']}",
                "transfer_key": f"milestone-{m['id']}-transfer",
                "state": state,
                "clears_at": m["clears_at"] or m["released_at"],
                "stripe_transfer_id": m["stripe_transfer_id"],
                "destination": m["destination"],
                "reversed_minor": m["reversed_minor"] or 0,
                "created_at": m["released_at"],
                "paid_at": m["paid_out_at"],
            }
        )
    licences = bind.execute(
        sa.text(
            "SELECT l.id, l.creator_id, l.price_minor, l.fee_minor, l.fee_bp, l.currency,"
            " l.charge_id, l.sold_at, l.clears_at, l.paid_out_at, l.stripe_transfer_id,"
            " a.title FROM media_licenses l JOIN media_assets a ON a.id = l.asset_id"
            " WHERE l.status = 'active'"
        ).columns(**_times("sold_at", "clears_at", "paid_out_at"))
    ).mappings()
    for lic in licences:
        hold = (lic["clears_at"] - lic["sold_at"]) if lic["clears_at"] and lic["sold_at"] else None
        rows.append(
            {
                "subject_type": "media_license",
                "subject_id": lic["id"],
                "creator_id": lic["creator_id"],
                "title": f"Licence: {lic['title']}",
                "gross_minor": lic["price_minor"],
                "fee_minor": lic["fee_minor"],
                "fee_bp": lic["fee_bp"],
                "hold_hours": int(hold / timedelta(hours=1)) if hold else 0,
                "currency": lic["currency"],
                "charge_id": lic["charge_id"],
                "transfer_group": f"license-{lic['id']}",
                "transfer_key": f"license-{lic['id']}-transfer",
                "state": "paid" if lic["stripe_transfer_id"] else "scheduled",
                "clears_at": lic["clears_at"] or lic["sold_at"],
                "stripe_transfer_id": lic["stripe_transfer_id"],
                "destination": None,
                "reversed_minor": 0,
                "created_at": lic["sold_at"],
                "paid_at": lic["paid_out_at"],
            }
        )
    awards = bind.execute(
        sa.text(
            "SELECT w.id, w.contest_id, w.creator_id, w.amount_minor, w.fee_minor, w.fee_bp,"
            " w.hold_hours, w.currency, w.state, w.clears_at, w.stripe_transfer_id,"
            " w.created_at, w.paid_out_at, c.charge_id, c.title"
            " FROM contest_awards w JOIN contests c ON c.id = w.contest_id"
        ).columns(**_times("clears_at", "created_at", "paid_out_at"))
    ).mappings()
    for w in awards:
        rows.append(
            {
                "subject_type": "contest_award",
                "subject_id": w["id"],
                "creator_id": w["creator_id"],
                "title": f"Contest prize: {w['title']}",
                "gross_minor": w["amount_minor"],
                "fee_minor": w["fee_minor"],
                "fee_bp": w["fee_bp"],
                "hold_hours": w["hold_hours"],
                "currency": w["currency"],
                "charge_id": w["charge_id"],
                "transfer_group": f"contest-{w['contest_id']}",
                "transfer_key": f"contest-award-{w['id']}-transfer",
                "state": "paid" if w["stripe_transfer_id"] else "scheduled",
                "clears_at": w["clears_at"],
                "stripe_transfer_id": w["stripe_transfer_id"],
                "destination": None,
                "reversed_minor": 0,
                "created_at": w["created_at"],
                "paid_at": w["paid_out_at"],
            }
        )
    for row in rows:
        row["title"] = (row["title"] or "")[:200]
        row["blocked_reason"] = ""
    if rows:
        bind.execute(PAYOUTS.insert(), rows)
    return {
        (t, s): i
        for i, t, s in bind.execute(
            sa.select(PAYOUTS.c.id, PAYOUTS.c.subject_type, PAYOUTS.c.subject_id)
        )
    }


# Old job kinds -> (new kind, subject type); "payout" jobs point at the payout row instead.
_JOB_SUBJECTS = {
    "auto_accept": "milestone",
    "dispute_response": "dispute",
    "dispute_review": "dispute",
    "dispute_final": "dispute",
    "reviews_reveal": "contract",
    "contest_close": "contest",
    "contest_settle": "contest",
    "campaign_auto_confirm": "campaign",
    "negotiation_expire": "negotiation_round",
}


def _move_jobs(bind: sa.Connection, payouts: dict[tuple[str, int], int]) -> None:
    """Pending and failed timers of both old queues into ``jobs`` (finished ones are history
    that nothing reads)."""
    moved: list[dict[str, Any]] = []
    old = bind.execute(
        sa.text(
            "SELECT kind, milestone_id, subject_id, key, due_at, status, attempts, last_error,"
            " created_at, finished_at FROM payment_jobs WHERE status IN ('pending', 'failed')"
        ).columns(**_times("due_at", "created_at", "finished_at"))
    ).mappings()
    for job in old:
        row = dict(job, locked_until=None)
        if job["kind"] in ("transfer", "contest_award_transfer"):
            subject = ("milestone", job["milestone_id"])
            if job["kind"] == "contest_award_transfer":
                subject = ("contest_award", job["subject_id"])
            payout_id = payouts.get(subject)
            if payout_id is None:
                continue
            row.update(kind="payout", subject_type="payout", subject_id=payout_id)
            row["key"] = f"payout-{payout_id}"
        elif job["kind"] in _JOB_SUBJECTS:
            subject_type = _JOB_SUBJECTS[job["kind"]]
            if subject_type == "milestone":
                subject_id = job["milestone_id"]
            elif subject_type in ("dispute", "contract"):
                subject_id = int(job["key"].split("-")[1])  # dispute-<id>-…, contract-<id>-…
            else:
                subject_id = job["subject_id"]
            row.update(subject_type=subject_type, subject_id=subject_id)
        else:
            continue
        row.pop("milestone_id")
        moved.append(row)
    media = bind.execute(
        sa.text(
            "SELECT license_id, due_at, status, attempts, last_error, created_at, finished_at"
            " FROM media_payout_jobs WHERE status IN ('pending', 'failed')"
        ).columns(**_times("due_at", "created_at", "finished_at"))
    ).mappings()
    for job in media:
        payout_id = payouts.get(("media_license", job["license_id"]))
        if payout_id is None:
            continue
        row = {k: v for k, v in job.items() if k != "license_id"}
        row.update(
            kind="payout",
            subject_type="payout",
            subject_id=payout_id,
            key=f"payout-{payout_id}",
            locked_until=None,
        )
        moved.append(row)
    seen: set[str] = set()
    unique = [r for r in moved if not (r["key"] in seen or seen.add(r["key"]))]  # type: ignore[func-returns-value]
    if unique:
        bind.execute(JOBS.insert(), unique)


def _complete_contracts(bind: sa.Connection) -> None:
    bind.execute(
        sa.text(
            "UPDATE contracts SET status = 'completed' WHERE status = 'active'"
            " AND EXISTS (SELECT 1 FROM milestones m WHERE m.contract_id = contracts.id"
            "   AND m.state IN ('paid_out', 'refunded'))"
            " AND NOT EXISTS (SELECT 1 FROM milestones m WHERE m.contract_id = contracts.id"
            "   AND m.state NOT IN ('paid_out', 'refunded', 'cancelled'))"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE contracts SET status = 'cancelled' WHERE status = 'active'"
            " AND EXISTS (SELECT 1 FROM milestones m WHERE m.contract_id = contracts.id)"
            " AND NOT EXISTS (SELECT 1 FROM milestones m WHERE m.contract_id = contracts.id"
            "   AND m.state <> 'cancelled')"
        )
    )


def _drop_old_tables() -> None:
    with op.batch_alter_table("milestone_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_events_milestone_id"))
    op.drop_table("milestone_events")
    with op.batch_alter_table("media_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_events_asset_id"))
    op.drop_table("media_events")
    with op.batch_alter_table("dispute_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_events_dispute_id"))
    op.drop_table("dispute_events")
    with op.batch_alter_table("payment_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_jobs_status_due")
        batch_op.drop_index(batch_op.f("ix_payment_jobs_milestone_id"))
    op.drop_table("payment_jobs")
    with op.batch_alter_table("media_payout_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_media_payout_jobs_status_due")
    op.drop_table("media_payout_jobs")
    op.drop_table("payout_transfers")
    with op.batch_alter_table("media_licenses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_media_licenses_stripe_transfer_id"), type_="unique")
        batch_op.drop_column("stripe_transfer_id")
        batch_op.drop_column("paid_out_at")
        batch_op.drop_column("clears_at")
    with op.batch_alter_table("contest_awards", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_contest_awards_stripe_transfer_id"), type_="unique")
        batch_op.drop_constraint(op.f("ck_contest_awards_amounts"), type_="check")
        for column in (
            "stripe_transfer_id",
            "paid_out_at",
            "clears_at",
            "state",
            "hold_hours",
            "fee_bp",
            "fee_minor",
        ):
            batch_op.drop_column(column)
        batch_op.create_check_constraint(
            op.f("ck_contest_awards_amount_positive"), "amount_minor > 0"
        )


def downgrade() -> None:
    """Back to the per-domain tables (structure; transition histories and payouts come back
    from the kernel tables where they map one to one)."""
    with op.batch_alter_table("contest_awards", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contest_awards_amount_positive"), type_="check")
        batch_op.add_column(
            sa.Column("fee_minor", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("fee_bp", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("hold_hours", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="released")
        )
        batch_op.add_column(
            sa.Column("clears_at", When, nullable=False, server_default="2000-01-01 00:00:00+00:00")
        )
        batch_op.add_column(sa.Column("paid_out_at", When, nullable=True))
        batch_op.add_column(sa.Column("stripe_transfer_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            op.f("uq_contest_awards_stripe_transfer_id"), ["stripe_transfer_id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_contest_awards_amounts"), "amount_minor > 0 AND fee_minor >= 0"
        )
    with op.batch_alter_table("media_licenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clears_at", When, nullable=True))
        batch_op.add_column(sa.Column("paid_out_at", When, nullable=True))
        batch_op.add_column(sa.Column("stripe_transfer_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            op.f("uq_media_licenses_stripe_transfer_id"), ["stripe_transfer_id"]
        )
    op.create_table(
        "payout_transfers",
        sa.Column("milestone_id", BigId, nullable=False),
        sa.Column("stripe_transfer_id", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reversed_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("id", BigId, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payout_transfers_amount_positive")),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_payout_transfers_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_transfers")),
        sa.UniqueConstraint("milestone_id", name=op.f("uq_payout_transfers_milestone_id")),
        sa.UniqueConstraint(
            "stripe_transfer_id", name=op.f("uq_payout_transfers_stripe_transfer_id")
        ),
    )
    op.create_table(
        "media_payout_jobs",
        sa.Column("license_id", BigId, nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"],
            ["media_licenses.id"],
            name=op.f("fk_media_payout_jobs_license_id_media_licenses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_payout_jobs")),
        sa.UniqueConstraint("license_id", name="uq_media_payout_jobs_license_id"),
    )
    with op.batch_alter_table("media_payout_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_media_payout_jobs_status_due", ["status", "due_at"])
    op.create_table(
        "payment_jobs",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("milestone_id", BigId, nullable=True),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("id", BigId, nullable=False),
        sa.Column("subject_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_payment_jobs_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_payment_jobs_key")),
    )
    with op.batch_alter_table("payment_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_jobs_milestone_id"), ["milestone_id"])
        batch_op.create_index("ix_payment_jobs_status_due", ["status", "due_at"])
    for name, owner, parent, subject in (
        ("milestone_events", "milestone_id", "milestones", "milestone"),
        ("media_events", "asset_id", "media_assets", "media"),
        ("dispute_events", "dispute_id", "disputes", "dispute"),
    ):
        op.create_table(
            name,
            sa.Column(owner, BigId, nullable=False),
            *([sa.Column("actor_id", BigId, nullable=True)]),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column(
                "from_state", sa.String(length=24 if subject != "media" else 16), nullable=False
            ),
            sa.Column(
                "to_state", sa.String(length=24 if subject != "media" else 16), nullable=False
            ),
            *([sa.Column("note", sa.Text(), nullable=False)] if subject == "dispute" else []),
            sa.Column("data", Json, nullable=False),
            sa.Column("created_at", When, nullable=False),
            sa.Column("id", BigId, nullable=False),
            sa.ForeignKeyConstraint(
                ["actor_id"], ["users.id"], name=op.f(f"fk_{name}_actor_id_users")
            ),
            sa.ForeignKeyConstraint(
                [owner], [f"{parent}.id"], name=op.f(f"fk_{name}_{owner}_{parent}")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{name}_{owner}"), [owner])
        old = _events_table(name, owner)
        rows = []
        for row in (
            op.get_bind()
            .execute(sa.select(AUDIT).where(AUDIT.c.subject_type == subject).order_by(AUDIT.c.id))
            .mappings()
        ):
            data = dict(row["data"] or {})
            moved = {
                owner: row["subject_id"],
                "actor_id": row["actor_id"],
                "action": row["action"].partition(".")[2][:32],
                "from_state": row["from_state"] or "",
                "to_state": row["to_state"] or "",
                "data": data,
                "created_at": row["created_at"],
            }
            if subject == "dispute":
                moved["note"] = str(data.pop("note", ""))
            rows.append(moved)
        if rows:
            op.get_bind().execute(old.insert(), rows)
    op.get_bind().execute(AUDIT.delete().where(AUDIT.c.subject_type.in_(["milestone", "media"])))
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_creator_state")
    op.drop_table("payouts")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_subject")
        batch_op.drop_index("ix_jobs_status_due")
    op.drop_table("jobs")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("to_state")
        batch_op.drop_column("from_state")
