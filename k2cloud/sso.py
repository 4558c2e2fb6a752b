"""Optional single sign-on settings, built only when their environment variables are set.

LDAP (django-auth-ldap, install the `ldap` extra) and OIDC (mozilla-django-oidc) are off
by default; docs/identity.md lists the variables.
"""


def ldap_settings(env) -> dict:
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    return {
        "AUTH_LDAP_SERVER_URI": env.str("LDAP_SERVER_URI"),
        "AUTH_LDAP_BIND_DN": env.str("LDAP_BIND_DN", default=""),
        "AUTH_LDAP_BIND_PASSWORD": env.str("LDAP_BIND_PASSWORD", default=""),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            env.str("LDAP_USER_BASE"),
            ldap.SCOPE_SUBTREE,
            env.str("LDAP_USER_FILTER", default="(uid=%(user)s)"),
        ),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(
            env.str("LDAP_GROUP_BASE", default=""), ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
        ),
        "AUTH_LDAP_GROUP_TYPE": GroupOfNamesType(),
        "AUTH_LDAP_MIRROR_GROUPS": env.list("LDAP_MIRROR_GROUPS", default=[]) or False,
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
    }


def oidc_settings(env) -> dict:
    return {
        "OIDC_RP_CLIENT_SECRET": env.str("OIDC_RP_CLIENT_SECRET"),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": env.str("OIDC_OP_AUTHORIZATION_ENDPOINT"),
        "OIDC_OP_TOKEN_ENDPOINT": env.str("OIDC_OP_TOKEN_ENDPOINT"),
        "OIDC_OP_USER_ENDPOINT": env.str("OIDC_OP_USER_ENDPOINT"),
        "OIDC_OP_JWKS_ENDPOINT": env.str("OIDC_OP_JWKS_ENDPOINT", default=""),
        "OIDC_RP_SIGN_ALGO": env.str("OIDC_RP_SIGN_ALGO", default="RS256"),
        "OIDC_RP_SCOPES": env.str("OIDC_RP_SCOPES", default="openid email profile"),
        "OIDC_ROLE_CLAIM": env.str("OIDC_ROLE_CLAIM", default="groups"),
    }
