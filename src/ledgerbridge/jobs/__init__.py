"""Background work on procrastinate over the application's own PostgreSQL.

Each module here holds one area's tasks in a ``blueprint`` (a procrastinate
``Blueprint``); ``jobs.app.create_job_app`` collects them all. A job only says
"look at this": the database holds the truth.
"""
