"""Post-incident reviews: generated from the incident's timeline, edited by people, with
action items tracked to done."""
