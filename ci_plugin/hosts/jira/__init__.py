"""Jira Service Management Cloud (REST API v3): host type ``jira`` (see :mod:`.adapter`)."""
