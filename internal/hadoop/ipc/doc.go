// Package ipc is a client for Hadoop IPC ("Hadoop RPC") with the protobuf RPC
// engine: the protocol YARN's ResourceManager and NodeManagers speak.
//
// # Wire format
//
// A connection starts with the 7-byte preamble "hrpc", version 9, service
// class 0 and the auth protocol: 0 (none: the server trusts the user named in
// the connection context) or 0xDF (SASL). With SASL the client sends a
// NEGOTIATE message, the server lists the auths it accepts, the client sends
// INITIATE with the one it picked, and CHALLENGE/RESPONSE follow until the
// server says SUCCESS (see Authenticator). Then the client sends the
// connection context (effective user — omitted for token auth, where the
// token names the user — and protocol name).
//
// Every client frame is a 4-byte big-endian length followed by a
// varint-delimited RpcRequestHeaderProto (rpcKind 2 = protocol buffers, rpcOp
// 0, callId, the client's 16-byte clientId, retryCount) and, for calls, a
// varint-delimited RequestHeaderProto (method name, protocol name, protocol
// version 1) and the varint-delimited request message. Every server frame is a
// 4-byte length, a delimited RpcResponseHeaderProto and, on success, the
// delimited response message. Special call ids: -3 connection context, -4
// ping, -33 SASL. The request header's callId is a sint32 (zigzag), the
// response header's a uint32 (so -33 comes back as 0xffffffdf).
//
// # Contract
//
//   - A Client is safe for concurrent use. Calls share one connection and are
//     matched to responses by call id; a reader goroutine owned by the
//     connection delivers responses and is stopped by Close (of the client)
//     or by a connection failure. A pinger goroutine sends pings when the
//     connection has been idle for Options.PingInterval.
//   - Every call and every dial honours its context: a deadline or
//     cancellation returns ctx.Err() wrapped with the address and method.
//     Options.CallTimeout bounds calls whose context has no deadline.
//   - A server-side exception comes back as a *RemoteError carrying the Java
//     exception class and message; errors.Is matches it against class
//     sentinels (ErrAccessControl, ErrStandby, ... and any NewClassError).
//     A FATAL response also closes the connection.
//   - Connection failures come back as a *ConnError. Calls made with
//     Idempotent() are retried on a new connection with backoff until the
//     context ends or Options.MaxRetries is reached; the client keeps its
//     clientId across reconnections. Other calls are not retried: their fate
//     on the server is unknown.
//   - Nothing the server sends can panic the client: frames are bounded by
//     Options.MaxFrame and malformed frames fail the connection with an error.
package ipc
