"""Request Tracker 5 (REST2) adapter."""
