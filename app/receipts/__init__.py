"""Money people can trace: the creator's earnings ledger (every payout of every kind, with
its hold), the business's spend (every milestone, licence and contest prize it paid), and a
printable receipt for each line. Read-only over payments, settlement, media and contests."""
