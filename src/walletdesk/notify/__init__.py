"""Notifications: a transactional outbox, alerts, and the channels that carry them.

A use case calls :func:`walletdesk.notify.outbox.enqueue` inside its own
transaction, so an alert exists exactly when the change it reports committed.
The :class:`walletdesk.notify.dispatcher.Dispatcher` delivers outbox rows after
commit to the in-app inbox, email and SMS, rendered in the user's language.
"""
