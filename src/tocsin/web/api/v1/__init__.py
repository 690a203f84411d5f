"""REST API version 1: one thin router per resource."""
