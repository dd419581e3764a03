// Package sasl implements the SASL mechanism Hadoop RPC uses for token
// authentication: DIGEST-MD5 (RFC 2831) with the "auth" quality of
// protection, both the client side (DigestMD5Client, what gostream's
// application master uses with its AMRMToken and NMTokens) and the server side
// (DigestMD5Server, for in-process test servers).
//
// Hadoop's conventions for tokens (SaslRpcServer): the SASL user name is the
// base64 of the token identifier, the password the base64 of the token
// password, the realm "default", and the digest-uri is the protocol and server
// id the server announces in its NEGOTIATE message ("" and "default" for
// tokens, so "/default"). TokenCredentials derives them from a token.
//
// Integrity and privacy (auth-int, auth-conf, which Hadoop calls
// hadoop.rpc.protection=integrity|privacy) are not implemented: a server that
// offers neither "auth" nor no qop at all is refused with ErrQOPUnsupported.
// Nothing here panics on malformed peer input.
package sasl
