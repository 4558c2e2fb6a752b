"""Who may do what with accounts: tokens and platform roles.

| verb            | who                                                            |
|-----------------|----------------------------------------------------------------|
| create a token  | the person for themself; platform admins; shell operators      |
| revoke a token  | the token's owner; platform admins; shell operators            |
| set roles       | platform admins; shell operators                               |

Each helper takes an Actor (services) or a user (views and templates).
"""

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import is_system, person_of


def can_create_token(who, user) -> bool:
    person = person_of(who)
    return is_system(who) or bool(person and (person.pk == user.pk or is_platform_admin(person)))


def can_revoke_token(who, token) -> bool:
    person = person_of(who)
    return is_system(who) or bool(
        person and (person.pk == token.user_id or is_platform_admin(person))
    )


def can_set_roles(who) -> bool:
    return is_system(who) or is_platform_admin(person_of(who))
