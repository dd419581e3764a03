// Package hadooppb holds the generated Go code of the Hadoop IPC messages
// gostream sends and receives: the RPC request and response headers, the SASL
// negotiation message, the connection context, the protobuf engine's request
// header and the security token.
//
// The .proto files beside the generated code are gostream's own: they hold
// only the messages gostream uses, with Hadoop's field numbers, enum values
// and defaults, so the bytes on the wire are Hadoop's. Their proto package is
// gostream.hadoop.common, not Hadoop's hadoop.common: protobuf-go refuses two
// registrations of one message name in a binary, and gostream binaries also
// link colinmarc/hdfs, which registers Hadoop's own names. The wire format
// never carries the package name.
//
// Regenerate with `make proto` at the repository root; do not edit the .pb.go
// files by hand.
package hadooppb
