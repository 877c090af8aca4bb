"""Fixture-backed hosts: stateful fakes of service desks that the contract suite runs against."""
