"""ci-plugin: the ITIL 4 continual improvement register, inside an existing service desk."""

__version__ = "0.1.0"
