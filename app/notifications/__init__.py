"""Notifications: the in-app centre and mail for everything that asks someone to act or
tells them their money moved. Domains publish events (app.events); ``wiring`` turns them into
notifications, so no domain imports this package."""
