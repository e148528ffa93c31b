"""Test session set-up shared by every app's tests (see tests/ for the PostgreSQL and browser parts)."""
