"""Authentication and authorisation: the principal, bearer-token validation through issuers'
JWKS, the scope grammar and tenant policy (DESIGN §4); the built-in issuer is `auth.issuer`.
Never imports connectors or schemas."""

from auth.jwks import JwksCache, JwksSource
from auth.policy import tenant_filter
from auth.principal import Principal, development_principal
from auth.scopes import Scope, ScopeError, parse_scope, parse_scopes
from auth.tokens import InvalidToken, TokenValidator, TrustedIssuer

__all__ = [
    "InvalidToken",
    "JwksCache",
    "JwksSource",
    "Principal",
    "Scope",
    "ScopeError",
    "TokenValidator",
    "TrustedIssuer",
    "development_principal",
    "parse_scope",
    "parse_scopes",
    "tenant_filter",
]
