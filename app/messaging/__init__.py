"""Messages between a business and a creator: one thread per contract (or per proposal before
the hire), with attachments and per-participant read markers for unread counts.

Modules: models (tables), storage (attachment files), services (who may read, posting,
unread counts), views (pages, downloads), forms (its JSON operations live in app.disputes.api).
"""
