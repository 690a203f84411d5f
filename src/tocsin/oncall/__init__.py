"""On-call: schedules (layers, rotations, restrictions, overrides) and escalation
policies. Who is on call at a time is a pure function (rotation.py)."""
