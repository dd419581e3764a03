// Package token holds Hadoop security tokens and reads and writes Hadoop's
// credentials files ("token storage"): the file a NodeManager writes for a
// container and names in HADOOP_TOKEN_FILE_LOCATION, and the bytes of a
// ContainerLaunchContext's tokens field.
//
// # Format
//
// A credentials file starts with the 4 bytes "HDTS" and a format byte.
//
// Format 0 (Writable; what Hadoop writes by default):
//
//	vint  number of tokens, then per token:
//	  text   alias
//	  vint   identifier length, identifier bytes
//	  vint   password length, password bytes
//	  text   kind
//	  text   service
//	vint  number of secret keys, then per key:
//	  text   alias
//	  vint   key length, key bytes
//
// where text is a vint byte length and UTF-8 bytes, and vint is Hadoop's
// WritableUtils variable-length integer: a value in [-112, 127] is one byte;
// otherwise a first byte of -113..-120 (positive) or -121..-128 (negative,
// stored one's-complemented) gives the count of big-endian bytes that follow.
// It is not a protobuf varint.
//
// Format 1 (protobuf): a varint-length-delimited CredentialsProto
// (hadooppb), whose entries carry an alias and a TokenProto or a secret.
//
// Both formats are read; Write writes either (Format0 by default, like
// Hadoop). Readers never panic on malformed input and bound every length by
// the bytes actually present.
package token
