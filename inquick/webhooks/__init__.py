"""Webhooks: events written to an outbox with the change they report, then delivered,
signed per Standard Webhooks, by `inquick worker`, retried and logged."""
