"""Notifications: outgoing mail now; chat channels, in-app notices and webhooks later."""
