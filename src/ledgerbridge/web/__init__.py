"""HTTP entry points: the JSON API (``web/api``) and, later, the server-rendered UI."""
