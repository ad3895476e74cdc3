"""Content moderation: reports from users, a moderators' queue, hide/restore, suspensions."""
