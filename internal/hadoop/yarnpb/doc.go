// Package yarnpb holds the generated Go code of the YARN records and of the
// requests and responses of ApplicationClientProtocol (client → RM),
// ApplicationMasterProtocol (AM → RM scheduler) and
// ContainerManagementProtocol (AM → NM), plus the identifiers inside YARN
// tokens.
//
// The .proto files beside the generated code are gostream's own, holding only
// what gostream uses, with the field numbers, enum values and defaults of
// Hadoop's yarn_protos.proto, yarn_service_protos.proto and
// yarn_security_token.proto; fields left out survive a decode as unknown
// fields. The proto package is gostream.hadoop.yarn (see package hadooppb for
// why it is not Hadoop's). Regenerate with `make proto`.
package yarnpb
