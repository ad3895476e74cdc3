"""JSON API routes for offers (registered on app.api.bp)."""
