"""The built-in token issuer: OAuth2 client-credentials grant on authlib, JWT access tokens
signed with store-kept keys, rotation with an overlap window. Storage comes in through the
Protocols of `ports.py`; the gateway wires the store's implementations."""

from auth.issuer.clients import (
    ClientDirectory,
    IssuerClient,
    ScopeNotAllowed,
    client_from_config,
    clients_from_config,
)
from auth.issuer.hashing import hash_secret, new_secret, verify_secret
from auth.issuer.issuer import Issuer, IssuerConfig, IssuerJwksSource, RotationError
from auth.issuer.login import (
    AUTHORIZE_PATH,
    IDE_CLIENT,
    Login,
    LoginState,
    accounts_from_config,
    hash_password,
)
from auth.issuer.login import clients_from_config as login_clients_from_config
from auth.issuer.ports import ClientRecord, ClientRepository, KeyRepository, SigningKeyRecord
from auth.issuer.server import (
    JWKS_PATH,
    METADATA_PATH,
    TOKEN_PATH,
    TokenEndpoint,
    jwks_endpoint,
    metadata_endpoint,
)

__all__ = [
    "AUTHORIZE_PATH",
    "IDE_CLIENT",
    "JWKS_PATH",
    "METADATA_PATH",
    "TOKEN_PATH",
    "ClientDirectory",
    "ClientRecord",
    "ClientRepository",
    "Issuer",
    "IssuerClient",
    "IssuerConfig",
    "IssuerJwksSource",
    "KeyRepository",
    "Login",
    "LoginState",
    "RotationError",
    "ScopeNotAllowed",
    "SigningKeyRecord",
    "TokenEndpoint",
    "accounts_from_config",
    "client_from_config",
    "clients_from_config",
    "hash_password",
    "hash_secret",
    "jwks_endpoint",
    "login_clients_from_config",
    "metadata_endpoint",
    "new_secret",
    "verify_secret",
]
