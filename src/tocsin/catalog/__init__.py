"""What incidents refer to: teams (assignment groups), services (CIs), categories."""
