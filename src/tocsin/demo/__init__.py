"""The demo data set: customers, teams, services, people and a few hundred incidents."""
