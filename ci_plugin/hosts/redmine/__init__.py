"""Redmine 5 (REST) adapter."""
