"""Staff two-factor authentication: every account that signs in to the admin proves itself
twice, with its password and with a passkey, an authenticator app or a recovery code."""
