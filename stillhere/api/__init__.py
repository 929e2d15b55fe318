"""The REST API (/api/v1/): a thin layer over the services the web and CLI use.

Every request runs as the member who owns the token, through the same
permission functions as the web (stillhere/accounts/permissions.py), and
every read or write of client data is audited as it is on the web.
"""
