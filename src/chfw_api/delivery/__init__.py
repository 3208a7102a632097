"""Webhook delivery of DCC Alerts: signing, retry policy, URL rules, the HTTP client, workers."""
