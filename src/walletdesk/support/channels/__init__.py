"""Inbound customer-service channels: email, phone call events and social messages.

Every channel ends in the same ticket, made by :mod:`walletdesk.support.tickets.service`.
"""
