"""Authentication and authorisation: the principal, the scope grammar and tenant policy
(DESIGN §4). Never imports connectors or schemas."""

from auth.policy import tenant_filter
from auth.principal import Principal, development_principal
from auth.scopes import Scope, ScopeError, parse_scope, parse_scopes

__all__ = [
    "Principal",
    "Scope",
    "ScopeError",
    "development_principal",
    "parse_scope",
    "parse_scopes",
    "tenant_filter",
]
