"""Imports of other systems' records (a ServiceNow incident event log) with their history."""
