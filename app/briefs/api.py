"""JSON API routes for briefs (registered on app.api.bp)."""
