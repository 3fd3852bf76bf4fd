"""Alerts: email to the supervisors of a site and signed webhooks to the endpoints an
administrator set up for it, sent by the background task worker (`manage.py db_worker`)."""
