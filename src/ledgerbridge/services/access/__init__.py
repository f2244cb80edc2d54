"""Accounts and access: who is calling (a signed-in user or an API key), for which
company, with which role; sign-in, sessions, invitations, API keys."""
